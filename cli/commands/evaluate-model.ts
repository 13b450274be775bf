/**
 * `meles evaluate-model --data DATA [--schema FILE] --targets FILE [--id COL] --target COL:kind …
 *   (--supervised | --finetune RUN [--encoder-lr 1e-4] [--head-lr 2e-3] [--freeze-encoder]
 *   [--no-standardize-embedding]) [--name NAME] [--epochs N] [--config train.json] [--folds 5]
 *   [--test-fraction 0.1] [--seed 42] [--label-fraction x] --out DIR`:
 * the evaluation protocol of `meles compare` for a sequence model trained on the labels — a
 * supervised encoder from scratch, or the MeLES/CPC model RUN fine-tuned. Writes
 * `DIR/evaluation.json` (rows, protocol, split fingerprints, the fine-tuning settings; `meles
 * compare --include DIR` adds its rows to a comparison) and the fold models under `DIR/folds/`.
 */
import { Command, Option } from 'commander';
import { BACKENDS, type BackendName } from '../../encoders/backend.js';
import { parseTargetSpec } from '../../data/label-file.js';
import { readSchemaMapping } from '../../data/schema-mapping-io.js';
import { ConfigError } from '../../errors.js';
import { evaluateSequenceModel, type ModelInit } from '../../pipeline/workflows/neural-evaluation.js';
import { type FinetuneOptions, resolveFinetuneOptions } from '../../training/labelled/train-labelled.js';
import { readTrainingConfig, resolveTrainingOptions } from '../../training/training-options.js';
import { parseLabelFraction } from '../evaluation-flags.js';
import { integerFlag, numberFlag, optionalIntegerFlag, optionalNumberFlag } from '../flags.js';
import { trainingProgressBar } from '../progress-bar.js';

interface EvaluateModelFlags {
  readonly data: string;
  readonly schema?: string;
  readonly targets: string;
  readonly id?: string;
  readonly target: string[];
  readonly supervised?: boolean;
  readonly finetune?: string;
  readonly name?: string;
  readonly encoderLr?: string;
  readonly headLr?: string;
  readonly freezeEncoder?: boolean;
  /** commander's `--no-standardize-embedding`: true unless the flag is given. */
  readonly standardizeEmbedding: boolean;
  readonly epochs?: string;
  readonly config?: string;
  readonly folds: string;
  readonly testFraction: string;
  readonly seed: string;
  readonly labelFraction?: string;
  readonly out: string;
  readonly backend: BackendName | 'auto';
  readonly quiet?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Registers `meles evaluate-model`. */
export function register(program: Command): void {
  const cmd = new Command('evaluate-model')
    .description('the compare protocol for a supervised or fine-tuned sequence model: one model per fold → DIR/evaluation.json (for compare --include)')
    .requiredOption('--data <file>', 'transactions Arrow file')
    .option('--schema <file>', 'schema mapping of the data (--supervised; a fine-tuned model uses its own)')
    .requiredOption('--targets <file>', 'label file (Arrow or .csv) with the id column and target columns')
    .option('--id <column>', 'id column of the label file (default: the schema mapping\'s id column)')
    .requiredOption('--target <column:kind>', 'target and kind, binary or multiclass (repeatable)', collect)
    .option('--supervised', 'train an encoder and head from scratch on the labels')
    .option('--finetune <run>', 'fine-tune the MeLES/CPC model directory RUN on the labels')
    .option('--name <name>', 'row name in reports (default: supervised / fine-tuned)')
    .option('--encoder-lr <x>', 'with --finetune: Adam learning rate of the encoder (default 1e-4)')
    .option('--head-lr <x>', 'with --finetune: Adam learning rate of the head (default 2e-3)')
    .option('--freeze-encoder', 'with --finetune: train the head only')
    .option('--no-standardize-embedding', 'with --finetune: feed the head the raw embedding (default: standardised with its mean and std over each fold\'s training clients)')
    .option('--epochs <n>', 'epochs per fold model (overrides --config)')
    .option('--config <file>', 'training config JSON (encoder, batch size, learning rate, …); `method` is always supervised')
    .option('--folds <n>', 'stratified cross-validation folds', '5')
    .option('--test-fraction <x>', 'share of labelled clients isolated as the test part', '0.1')
    .option('--seed <n>', 'seed of the splits', '42')
    .option('--label-fraction <x>', "share of each fold's training clients to train on, in (0, 1]")
    .requiredOption('--out <dir>', 'output directory: evaluation.json and folds/')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['auto', ...BACKENDS]).default('auto'))
    .option('--quiet', 'no progress output')
    .action(async (flags: EvaluateModelFlags) => {
      // Every flag is checked before any file is read, and every file before anything is written.
      const init = initFrom(flags);
      const finetune = finetuneFrom(flags, init);
      const folds = integerFlag('--folds', flags.folds);
      const testFraction = numberFlag('--test-fraction', flags.testFraction);
      const seed = integerFlag('--seed', flags.seed);
      const labelFraction = flags.labelFraction === undefined ? undefined : parseLabelFraction(flags.labelFraction);
      const targets = flags.target.map(parseTargetSpec);
      const fromFile = flags.config === undefined ? {} : await readTrainingConfig(flags.config);
      const epochs = optionalIntegerFlag('--epochs', flags.epochs);
      const training = resolveTrainingOptions(flags.config ?? 'command-line flags', fromFile, { method: 'supervised', ...(epochs === undefined ? {} : { epochs }) });
      if (init.kind === 'pretrained' && flags.schema !== undefined) {
        throw new ConfigError(`\`--finetune\` reads the data with ${init.modelDir}'s own schema mapping and vocabularies; drop \`--schema\``);
      }
      if (init.kind === 'scratch' && flags.schema === undefined) throw new ConfigError('`--supervised` needs the schema mapping of the data: `--schema FILE`');
      const schema = flags.schema === undefined ? undefined : await readSchemaMapping(flags.schema);
      const quiet = flags.quiet === true || process.env.MELES_QUIET === '1';
      const bar = trainingProgressBar(!quiet);
      try {
        const result = await evaluateSequenceModel({
          dataPath: flags.data,
          ...(schema === undefined ? {} : { schema }),
          targetsPath: flags.targets,
          ...(flags.id === undefined ? {} : { idColumn: flags.id }),
          targets,
          init,
          ...(flags.name === undefined ? {} : { name: flags.name }),
          training,
          ...(finetune === undefined ? {} : { finetune }),
          folds,
          testFraction,
          seed,
          ...(labelFraction === undefined ? {} : { labelFraction }),
          outDir: flags.out,
          backend: flags.backend,
          onProgress: quiet ? undefined : (m) => process.stderr.write(`\n${m}\n`),
          onBatch: bar.onProgress,
        });
        bar.stop();
        for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
        process.stdout.write(`wrote ${flags.out}/evaluation.json (${result.results.length} rows of \`${result.name}\`)\n`);
      } finally {
        bar.stop();
      }
    });
  program.addCommand(cmd);
}

function initFrom(flags: EvaluateModelFlags): ModelInit {
  if ((flags.supervised === true) === (flags.finetune !== undefined)) {
    throw new ConfigError('Expected exactly one of `--supervised` (train from scratch) and `--finetune RUN` (fine-tune a pretrained model)');
  }
  return flags.finetune === undefined ? { kind: 'scratch' } : { kind: 'pretrained', modelDir: flags.finetune };
}

/** The fine-tuning flags (validated); they only apply to `--finetune`. */
function finetuneFrom(flags: EvaluateModelFlags, init: ModelInit): Partial<FinetuneOptions> | undefined {
  const given = [
    flags.encoderLr === undefined ? undefined : '--encoder-lr',
    flags.headLr === undefined ? undefined : '--head-lr',
    flags.freezeEncoder === true ? '--freeze-encoder' : undefined,
    flags.standardizeEmbedding ? undefined : '--no-standardize-embedding',
  ].filter((f): f is string => f !== undefined);
  if (init.kind === 'scratch') {
    if (given.length > 0) throw new ConfigError(`\`${given[0]}\` sets how a pretrained model is fine-tuned; it needs \`--finetune RUN\`, not \`--supervised\``);
    return undefined;
  }
  return resolveFinetuneOptions({
    ...(flags.encoderLr === undefined ? {} : { encoderLearningRate: optionalNumberFlag('--encoder-lr', flags.encoderLr)! }),
    ...(flags.headLr === undefined ? {} : { headLearningRate: optionalNumberFlag('--head-lr', flags.headLr)! }),
    freezeEncoder: flags.freezeEncoder === true,
    standardizeEmbedding: flags.standardizeEmbedding,
  });
}
