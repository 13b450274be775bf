/**
 * `meles embed --model RUN_DIR --data FILE --out FILE [--format arrow|parquet|csv] [--max-events N] [--l2]`:
 * one row per client, the source's id column (its name and type, recorded in the file's metadata)
 * + `emb_0 … emb_{d-1}` (float32), streamed.
 */
import { Command, Option } from 'commander';
import { BACKENDS, type BackendName } from '../../encoders/backend.js';
import { ConfigError } from '../../errors.js';
import { embedFile } from '../../training/embed-file.js';
import { EMBEDDING_FORMATS, type EmbeddingFormat } from '../../data/embedding-sink.js';
import { embeddingProgressBar } from '../progress-bar.js';

interface EmbedFlags {
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
}

/** Registers `meles embed`. */
export function register(program: Command): void {
  const cmd = new Command('embed')
    .description('embed every client of a transactions file with a trained model')
    .requiredOption('--model <dir>', 'model directory written by `meles train`')
    .requiredOption('--data <file>', 'transactions Arrow file with the model\'s columns')
    .requiredOption('--out <file>', 'output file')
    .addOption(new Option('--format <format>', 'output format').choices([...EMBEDDING_FORMATS]).default('arrow'))
    .option('--max-events <n>', 'embed each client from its last n events', '2000')
    .option('--batch-size <n>', 'most clients per batch', '256')
    .option('--max-batch-events <n>', 'most events per batch (bounds memory for long histories)', '65536')
    .option('--l2', 'L2-normalise the embeddings (raw encoder output by default)')
    .option('--shard <i/n>', 'embed only shard i of n (0-based), e.g. 0/4')
    .addOption(new Option('--shard-by <how>', 'shard by file order or by client-id hash').choices(['range', 'hash']).default('range'))
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['auto', ...BACKENDS]).default('auto'))
    .option('--quiet', 'no progress bar')
    .action(async (opts: EmbedFlags) => {
      const bar = embeddingProgressBar(opts.quiet !== true);
      const result = await embedFile({
        model: opts.model,
        data: opts.data,
        out: opts.out,
        format: opts.format,
        maxEvents: intFlag('--max-events', opts.maxEvents),
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
