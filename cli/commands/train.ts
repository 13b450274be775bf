/**
 * `meles train --data FILE (--schema F | flags) --out RUN_DIR [--config train.json] [flags]`:
 * trains a MeLES encoder; RUN_DIR becomes a model directory for `meles embed`. Flags override the
 * config file. Ctrl-C stops after the current batch, saves a checkpoint and exits with code 130;
 * `--resume` continues from it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { readSequences } from '../../data/read-sequences.js';
import { readSchemaMapping } from '../../data/schema-mapping-io.js';
import { loadVocabularies } from '../../data/vocabulary.js';
import { BACKENDS, type BackendName } from '../../encoders/backend.js';
import { ENCODER_KINDS } from '../../encoders/encoder-config.js';
import { ConfigError } from '../../errors.js';
import { hasCheckpoint, readCheckpointOptions } from '../../training/checkpoint.js';
import { trainModel } from '../../training/trainer.js';
import { readTrainingConfig, resolveTrainingOptions, type TrainingConfigInput } from '../../training/training-options.js';
import { addSchemaOptions, schemaFromOptions, type SchemaFlags } from '../schema-options.js';

interface TrainFlags extends SchemaFlags {
  readonly data: string;
  readonly out: string;
  readonly config?: string;
  readonly encoder?: string;
  readonly hidden?: string;
  readonly layers?: string;
  readonly bidirectional?: boolean;
  readonly epochs?: string;
  readonly batchSize?: string;
  readonly lr?: string;
  readonly seed?: string;
  readonly maxBatches?: string;
  readonly validationShare?: string;
  readonly backend: BackendName | 'auto';
  readonly resume?: boolean;
  readonly quiet?: boolean;
}

/** Registers `meles train`. */
export function register(program: Command): void {
  const cmd = new Command('train')
    .description('train a MeLES encoder (GRU, LSTM or Transformer) on unlabelled event sequences')
    .requiredOption('--data <file>', 'transactions Arrow file')
    .requiredOption('--out <dir>', 'run directory: model files, metrics.jsonl, checkpoint/')
    .option('--config <file>', 'training config JSON (see training/training-options.ts); flags override it')
    .addOption(new Option('--encoder <kind>', 'sequence encoder').choices([...ENCODER_KINDS]))
    .option('--hidden <n>', 'hidden size (RNN) or model width (Transformer)')
    .option('--layers <n>', 'stacked layers')
    .option('--bidirectional', 'RNN reads both directions')
    .option('--epochs <n>', 'epochs')
    .option('--batch-size <n>', 'clients per batch')
    .option('--lr <x>', 'Adam learning rate')
    .option('--seed <n>', 'seed (same seed and backend give the same model)')
    .option('--max-batches <n>', 'stop each epoch after n batches (0 = all)')
    .option('--validation-share <x>', 'share of clients held out for recall@4')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['auto', ...BACKENDS]).default('auto'))
    .option('--resume', 'continue from RUN_DIR/checkpoint')
    .option('--quiet', 'no progress bar');
  addSchemaOptions(cmd).action(async (opts: TrainFlags) => {
    const resumeSchema = opts.resume === true && opts.schema === undefined && opts.id === undefined && existsSync(join(opts.out, 'schema.json'));
    const schema = resumeSchema ? await readSchemaMapping(join(opts.out, 'schema.json')) : await schemaFromOptions(opts);
    const fromFile = opts.config === undefined ? {} : await readTrainingConfig(opts.config);
    // On --resume the checkpoint's options are the base: only changed settings need repeating.
    const saved = opts.resume === true && (await hasCheckpoint(opts.out)) ? await readCheckpointOptions(opts.out) : {};
    const options = resolveTrainingOptions(opts.config ?? 'command-line flags', saved, fromFile, flagLayer(opts));
    // A resumed run must index categories exactly as before.
    const vocabularies = opts.resume === true && existsSync(join(opts.out, 'vocabularies.json')) ? await loadVocabularies(join(opts.out, 'vocabularies.json')) : undefined;
    const { sequences, vocabularies: used } = await readSequences(opts.data, schema, vocabularies ? { vocabularies } : {});
    const controller = new AbortController();
    const onSigint = (): void => {
      process.stderr.write('\nmeles train: interrupted; saving a checkpoint after this batch (Ctrl-C again to kill)\n');
      controller.abort();
      process.removeListener('SIGINT', onSigint);
    };
    process.on('SIGINT', onSigint);
    try {
      const result = await trainModel({
        data: sequences,
        vocabularies: used,
        schema,
        outDir: opts.out,
        options,
        backend: opts.backend,
        resume: opts.resume === true,
        signal: controller.signal,
        progress: opts.quiet !== true,
      });
      const last = result.epochs.at(-1);
      if (result.aborted) {
        process.stderr.write(`meles train: checkpoint saved in ${join(opts.out, 'checkpoint')}; continue with --resume\n`);
        process.exitCode = 130;
        return;
      }
      process.stderr.write(
        `meles train: ${result.epochs.length} epoch(s) on ${result.backend}` +
          (last ? `, last loss ${last.loss.toFixed(4)}, recall@4 ${last.recallAt4 === null ? 'n/a' : last.recallAt4.toFixed(4)}, ${last.eventsPerSecond} events/s` : '') +
          ` → ${opts.out}\n`,
      );
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  });
  program.addCommand(cmd);
}

function flagLayer(opts: TrainFlags): TrainingConfigInput {
  const encoder = {
    encoder: opts.encoder,
    hidden: intFlag('--hidden', opts.hidden),
    layers: intFlag('--layers', opts.layers),
    bidirectional: opts.bidirectional,
  };
  return {
    encoder: Object.fromEntries(Object.entries(encoder).filter(([, v]) => v !== undefined)),
    epochs: intFlag('--epochs', opts.epochs),
    batchSize: intFlag('--batch-size', opts.batchSize),
    learningRate: numberFlag('--lr', opts.lr),
    seed: intFlag('--seed', opts.seed),
    maxBatchesPerEpoch: intFlag('--max-batches', opts.maxBatches),
    validationShare: numberFlag('--validation-share', opts.validationShare),
  };
}

function intFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new ConfigError(`Expected \`${name}\` to be an integer, got \`${value}\``);
  return n;
}

function numberFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`Expected \`${name}\` to be a number, got \`${value}\``);
  return n;
}
