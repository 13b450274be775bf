/**
 * `meles train --data FILE (--schema F | flags) --out RUN_DIR [--config train.json] [--method meles|cpc|supervised] [flags]`:
 * trains an encoder (MeLES by default, CPC, or supervised with a classification head); RUN_DIR
 * becomes a model directory for `meles embed`. Flags override the config file. Ctrl-C stops after
 * the current batch, saves a checkpoint and exits with code 130; `--resume` continues from it.
 *
 * Supervised: `--targets FILE --target COLUMN:binary|multiclass [--id COLUMN]`. With `--targets`,
 * `--target` names the label and `--id` the label file's id column (default: the schema's id);
 * without `--schema`, `--id` is also the transactions' id column (with `--time`, `--cat`, `--num`).
 */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { BACKENDS, type BackendName } from '../../encoders/backend.js';
import { ENCODER_KINDS } from '../../encoders/encoder-config.js';
import { parseTargetSpec } from '../../data/label-file.js';
import { ConfigError } from '../../errors.js';
import { trainFromFile } from '../../training/train-from-file.js';
import { AUTO_THREADS_CAP, parseThreads, THREADS_ENV, threadsFromEnvironment } from '../../training/parallel/threads.js';
import { checkRunDirectory } from '../../training/run-dir-guard.js';
import { readTrainingConfig, TRAINING_METHODS, type TrainingConfigInput } from '../../training/training-options.js';
import { optionalIntegerFlag, optionalNumberFlag } from '../flags.js';
import { trainingProgressBar } from '../progress-bar.js';
import { addAsOfOption, addSchemaOptions, asOfFromOptions, schemaFromOptions, type AsOfFlags, type SchemaFlags } from '../schema-options.js';

interface TrainFlags extends SchemaFlags {
  readonly data: string;
  readonly out: string;
  readonly config?: string;
  readonly method?: string;
  readonly targets?: string;
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
  readonly partitionsPerEpoch?: string;
  readonly backend: BackendName | 'auto';
  readonly threads?: string;
  readonly resume?: boolean;
  readonly force?: boolean;
  readonly quiet?: boolean;
}

/** Registers `meles train`. */
export function register(program: Command): void {
  const cmd = new Command('train')
    .description('train an encoder (GRU, LSTM or Transformer): MeLES or CPC on unlabelled event sequences, or supervised on labels')
    .requiredOption('--data <file>', 'transactions dataset (file, directory, glob, or a partition directory, streamed partition by partition)')
    .requiredOption('--out <dir>', 'run directory: model files, metrics.jsonl, checkpoint/')
    .option('--config <file>', 'training config JSON (see training/training-options.ts); flags override it')
    .addOption(new Option('--method <method>', 'training method (default meles)').choices([...TRAINING_METHODS]))
    .option('--targets <file>', 'supervised: label file (Arrow or CSV); with it, --target is COLUMN:binary|multiclass and --id the label id column')
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
    .option('--partitions-per-epoch <n>', 'partitioned --data (meles partition): partitions each epoch reads, a seeded sample; they stream one at a time (default all; 0 = all; --resume keeps the checkpoint\'s)')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['auto', ...BACKENDS]).default('auto'))
    .option('--threads <n>', `threads per gradient step: a number, or auto (cores, at most ${AUTO_THREADS_CAP}); data-parallel for meles (default: ${THREADS_ENV}, else auto)`)
    .option('--resume', 'continue from RUN_DIR/checkpoint')
    .option('--force', 'write into a non-empty RUN_DIR that is not a meles run, or replace an existing run')
    .option('--quiet', 'no progress bar');
  addAsOfOption(addSchemaOptions(cmd)).action(async (opts: TrainFlags & AsOfFlags) => {
    const resume = opts.resume === true;
    const threads = opts.threads === undefined ? threadsFromEnvironment() ?? 'auto' : parseThreads('--threads', opts.threads);
    await checkRunDirectory({ outDir: opts.out, resume, force: opts.force === true, data: opts.data, schema: opts.schema, config: opts.config, targets: opts.targets });
    const labels = labelFlags(opts);
    // With --targets, --target is the label and --id the label file's id (a mapping's id only beside --time).
    const schemaFlags: SchemaFlags = labels === undefined ? opts : { ...opts, target: undefined, id: opts.time !== undefined ? opts.id : undefined };
    // A resumed run may leave the mapping out: trainFromFile then reuses RUN_DIR/schema.json.
    const schema = resume && schemaFlags.schema === undefined && schemaFlags.id === undefined ? undefined : await schemaFromOptions(schemaFlags);
    const fromFile = opts.config === undefined ? {} : await readTrainingConfig(opts.config);
    const controller = new AbortController();
    const onSigint = (): void => {
      process.stderr.write('\nmeles train: interrupted; saving a checkpoint after this batch (Ctrl-C again to kill)\n');
      controller.abort();
      process.removeListener('SIGINT', onSigint);
    };
    process.on('SIGINT', onSigint);
    const bar = trainingProgressBar(opts.quiet !== true);
    try {
      const result = await trainFromFile({
        data: opts.data,
        ...asOfFromOptions(opts),
        schema,
        outDir: opts.out,
        resume: resume ? 'required' : 'never',
        config: [fromFile, flagLayer(opts)],
        configSource: opts.config ?? 'command-line flags',
        backend: opts.backend,
        threads,
        labels,
        signal: controller.signal,
        onProgress: bar.onProgress,
      });
      bar.stop();
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
      bar.stop();
      process.removeListener('SIGINT', onSigint);
    }
  });
  program.addCommand(cmd);
}

function labelFlags(opts: TrainFlags): { path: string; idColumn?: string; target: ReturnType<typeof parseTargetSpec> } | undefined {
  if (opts.targets === undefined) return undefined;
  if (opts.target === undefined || opts.target.length !== 1) {
    throw new ConfigError(`\`--targets\` needs exactly one \`--target COLUMN:binary|multiclass\`, got ${opts.target?.length ?? 0}`);
  }
  return { path: opts.targets, idColumn: opts.id, target: parseTargetSpec(opts.target[0]!) };
}

function flagLayer(opts: TrainFlags): TrainingConfigInput {
  const encoder = {
    encoder: opts.encoder,
    hidden: optionalIntegerFlag('--hidden', opts.hidden),
    layers: optionalIntegerFlag('--layers', opts.layers),
    bidirectional: opts.bidirectional,
  };
  return {
    method: opts.method,
    encoder: Object.fromEntries(Object.entries(encoder).filter(([, v]) => v !== undefined)),
    epochs: optionalIntegerFlag('--epochs', opts.epochs),
    batchSize: optionalIntegerFlag('--batch-size', opts.batchSize),
    learningRate: optionalNumberFlag('--lr', opts.lr),
    seed: optionalIntegerFlag('--seed', opts.seed),
    maxBatchesPerEpoch: optionalIntegerFlag('--max-batches', opts.maxBatches),
    validationShare: optionalNumberFlag('--validation-share', opts.validationShare),
    partitionsPerEpoch: optionalIntegerFlag('--partitions-per-epoch', opts.partitionsPerEpoch),
  };
}
