/**
 * `meles partition --data DATASET (--schema F | flags) --out DIR --partitions N [--memory-limit 2GB]`:
 * client-hash partitions of a dataset (`part-00000.arrow` …, `manifest.json`), each grouped by
 * client and sorted by time, in bounded memory (data/partition.ts).
 */
import { Command } from 'commander';
import { partitionDataset } from '../../data/partition.js';
import { checkOutputs } from '../../data/output-guard.js';
import { ConfigError } from '../../errors.js';
import { integerFlag } from '../flags.js';
import { addSchemaOptions, schemaFromOptions, type SchemaFlags } from '../schema-options.js';

interface PartitionFlags extends SchemaFlags {
  readonly data: string;
  readonly out: string;
  readonly partitions: string;
  readonly memoryLimit: string;
}

const UNITS: Readonly<Record<string, number>> = { '': 1, B: 1, K: 1024, KB: 1024, M: 1024 ** 2, MB: 1024 ** 2, G: 1024 ** 3, GB: 1024 ** 3, T: 1024 ** 4, TB: 1024 ** 4 };

/** Parses `2GB`, `512MB`, `1.5G` or a byte count (binary units: 1 GB = 1024³ bytes). */
export function parseByteSize(flag: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  const unit = match ? UNITS[match[2]!.toUpperCase()] : undefined;
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    throw new ConfigError(`Expected \`${flag}\` to be a size like 2GB, 512MB or a byte count, got \`${text}\``);
  }
  return Math.floor(Number(match[1]) * unit);
}

/** Registers `meles partition`. */
export function register(program: Command): void {
  const cmd = new Command('partition')
    .description('split a dataset into client-hash partitions (part-NNNNN.arrow grouped by client, sorted by time, + manifest.json)')
    .requiredOption('--data <dataset>', "transactions: Arrow IPC or Parquet file, a directory of them, or a quoted glob ('daily/*.arrow')")
    .requiredOption('--out <dir>', 'output folder for part-NNNNN.arrow and manifest.json')
    .requiredOption('--partitions <n>', 'number of partitions (clients are routed by a hash of their id text)')
    .option('--memory-limit <size>', 'peak memory to stay under (e.g. 2GB, 512MB)', '2GB');
  addSchemaOptions(cmd).action(async (opts: PartitionFlags) => {
    const partitions = integerFlag('--partitions', opts.partitions);
    const memoryLimit = parseByteSize('--memory-limit', opts.memoryLimit);
    const inputs = [['--data', opts.data], ['--schema', opts.schema]] as const;
    await checkOutputs([{ flag: '--out', path: opts.out, kind: 'folder' }], inputs.flatMap(([flag, path]) => (path === undefined ? [] : [{ flag, path }])));
    const mapping = await schemaFromOptions(opts);
    const started = performance.now();
    const summary = await partitionDataset({ data: opts.data, mapping, out: opts.out, partitions, memoryLimit });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const { manifest } = summary;
    process.stderr.write(
      `partition: ${manifest.rows} events, ${manifest.clients} clients → ${manifest.partitions} partitions in ${opts.out} (${summary.sortRuns} sort runs, ${seconds} s)\n`,
    );
  });
  program.addCommand(cmd);
}
