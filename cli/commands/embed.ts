/**
 * `meles embed --model RUN_DIR --data DATASET --out FILE [--as-of TIME] [--format arrow|parquet|csv] [--max-events N] [--l2]`:
 * one row per client, the source's id column (its name and type, recorded in the file's metadata)
 * + `emb_0 … emb_{d-1}` (float32), streamed.
 */
import { Command, Option } from 'commander';
import { BACKENDS, type BackendName } from '../../encoders/backend.js';
import { ConfigError } from '../../errors.js';
import { embedFile } from '../../training/embed-file.js';
import { EMBEDDING_FORMATS, type EmbeddingFormat } from '../../data/embedding-sink.js';
import { embeddingProgressBar } from '../progress-bar.js';
import { checkOutputs } from '../../data/output-guard.js';
import { modelDirectoryInputs } from '../../training/run-dir-guard.js';
import { AS_OF_HELP, asOfFromOptions, type AsOfFlags } from '../schema-options.js';
import { addPartitionRunOptions, isPartitionedDataset, refuseSubmitFlags, runPartitioned, wantsPartitionedOutput, type PartitionRunFlags } from '../partition-run.js';

interface EmbedFlags extends AsOfFlags, PartitionRunFlags {
  readonly model: string;
  readonly data: string;
  readonly out: string;
  readonly format: EmbeddingFormat;
  readonly maxEvents: string;
  readonly batchSize: string;
  readonly maxBatchEvents: string;
  readonly l2?: boolean;
  readonly shard?: string;
  readonly shardBy: 'range' | 'hash';
  readonly backend: BackendName | 'auto';
  readonly quiet?: boolean;
  readonly state?: string;
  readonly stateOut?: string;
}

/** Registers `meles embed`. */
export function register(program: Command): void {
  const cmd = new Command('embed')
    .description('embed every client of a transactions file with a trained model')
    .requiredOption('--model <dir>', 'model directory written by `meles train`')
    .requiredOption('--data <dataset>', "transactions with the model's columns: Arrow IPC or Parquet file, a directory of them, or a quoted glob ('daily/*.arrow')")
    .requiredOption('--out <file>', 'output file (for a partitioned dataset and an --out without a file ending: a directory of per-partition parts + manifest.json)')
    .option('--as-of <time>', AS_OF_HELP)
    .addOption(new Option('--format <format>', 'output format').choices([...EMBEDDING_FORMATS]).default('arrow'))
    .option('--max-events <n>', 'embed each client from its last n events', '2000')
    .option('--batch-size <n>', 'most clients per batch', '256')
    .option('--max-batch-events <n>', 'most events per batch (bounds memory for long histories)', '65536')
    .option('--l2', 'L2-normalise the embeddings (raw encoder output by default)')
    .option('--shard <i/n>', 'embed only shard i of n (0-based), e.g. 0/4')
    .addOption(new Option('--shard-by <how>', 'shard by file order or by client-id hash').choices(['range', 'hash']).default('range'))
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['auto', ...BACKENDS]).default('auto'))
    .option('--quiet', 'no progress bar')
    .option('--state <file>', 'continue from this state file (GRU/LSTM): --data holds only the new events; every client of the state and the data is written')
    .option('--state-out <file>', 'also write each client\'s encoder state (embeds every event of the history; may equal --state)');
  addPartitionRunOptions(cmd).action(async (opts: EmbedFlags) => {
      if (wantsPartitionedOutput(opts.out, opts) && (await isPartitionedDataset(opts.data))) return embedPartitions(opts, cmd);
      refuseSubmitFlags(opts, opts.data);
      const stateful = stateFlags(opts, cmd.getOptionValueSource('maxEvents') === 'cli');
      await checkOutputs([{ flag: '--out', path: opts.out, kind: 'file' }], [{ flag: '--data', path: opts.data }, ...modelDirectoryInputs('--model', opts.model)]);
      const asOf = asOfFromOptions(opts);
      const bar = embeddingProgressBar(opts.quiet !== true);
      const result = await embedFile({
        model: opts.model,
        data: opts.data,
        ...asOf,
        out: opts.out,
        format: opts.format,
        ...(stateful === undefined ? { maxEvents: intFlag('--max-events', opts.maxEvents) } : stateful),
        batchSize: intFlag('--batch-size', opts.batchSize),
        maxBatchEvents: intFlag('--max-batch-events', opts.maxBatchEvents),
        l2: opts.l2 === true,
        ...(opts.shard === undefined ? {} : { shard: { ...parseShard(opts.shard), by: opts.shardBy } }),
        backend: opts.backend,
        onProgress: bar.onProgress,
      }).finally(bar.stop);
      process.stderr.write(`meles embed: ${result.clients} clients × ${result.width} → ${result.out} (${result.format}, ${result.seconds.toFixed(1)} s on ${result.backend})\n`);
    });
  program.addCommand(cmd);
}

/** `--data` is a partition directory: one part per partition under `--out` (cli/partition-run.ts). */
async function embedPartitions(opts: EmbedFlags, cmd: Command): Promise<void> {
  const refused = [['--shard', opts.shard], ['--state', opts.state], ['--state-out', opts.stateOut], ['--as-of', opts.asOf]] as const;
  for (const [flag, value] of refused) {
    if (value !== undefined) throw new ConfigError(`\`${flag}\` cannot be combined with a partitioned \`--data\` (${opts.data}): each partition is its own job`);
  }
  if (opts.format !== 'arrow' || cmd.getOptionValueSource('backend') === 'cli') {
    throw new ConfigError(`A partitioned \`--data\` (${opts.data}) writes Arrow parts with the default backend; drop \`--format\`/\`--backend\``);
  }
  const task = {
    kind: 'embed' as const,
    model: opts.model,
    maxEvents: intFlag('--max-events', opts.maxEvents),
    batchSize: intFlag('--batch-size', opts.batchSize),
    maxBatchEvents: intFlag('--max-batch-events', opts.maxBatchEvents),
    l2: opts.l2 === true,
  };
  await runPartitioned('embed', task, [{ flag: '--data', path: opts.data }, ...modelDirectoryInputs('--model', opts.model)], opts.out, opts);
}

/**
 * `--state`/`--state-out` as embedFile options, or `undefined` without them. A state covers every
 * event of a client's history, so `--max-events` (the last N only) and `--shard` are refused with them.
 */
function stateFlags(opts: EmbedFlags, maxEventsGiven: boolean): { state?: string; stateOut?: string } | undefined {
  const flag = opts.state !== undefined ? '--state' : opts.stateOut !== undefined ? '--state-out' : undefined;
  if (flag === undefined) return undefined;
  if (maxEventsGiven) {
    throw new ConfigError(`\`--max-events\` cannot be combined with \`${flag}\`: a state summarises every event of each client's history, while --max-events N embeds only the last N events, so incremental and truncated embeddings would differ; drop --max-events`);
  }
  if (opts.shard !== undefined) throw new ConfigError(`\`--shard\` cannot be combined with \`${flag}\`: incremental embedding handles every client of the state and the data in one run`);
  return { ...(opts.state === undefined ? {} : { state: opts.state }), ...(opts.stateOut === undefined ? {} : { stateOut: opts.stateOut }) };
}

function parseShard(value: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (!match || Number(match[2]) < 1 || Number(match[1]) >= Number(match[2])) {
    throw new ConfigError(`Expected \`--shard\` as i/n with 0 <= i < n, got \`${value}\``);
  }
  return { index: Number(match[1]), count: Number(match[2]) };
}

function intFlag(name: string, value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new ConfigError(`Expected \`${name}\` to be an integer >= 1, got \`${value}\``);
  return Number(value);
}
