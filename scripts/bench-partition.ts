/**
 * `meles partition` throughput and peak RSS on generated transactions (5M and 20M events by
 * default), each run in a fresh child (its own `VmHWM`), under a memory limit
 * smaller than the input. As a side-by-side reference, DuckDB (`@duckdb/node-api`, not a
 * dependency of meles) does the same job on a Parquet copy of the input (it cannot read Arrow IPC
 * without the `arrow` community extension, which needs a download): hash-partitioned, grouped by
 * client, sorted by time, written as Parquet. Point `DUCKDB_NODE_MODULES` at a node_modules folder
 * holding it (`npm install --prefix /tmp/duckdb-bench @duckdb/node-api`); without it the DuckDB row
 * is skipped.
 * Usage: `npx tsx scripts/bench-partition.ts [millions=5,20] [--partitions 16] [--memory-limit 512MB] [--dir /tmp/meles-bench-partition]`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ParquetWriter, fileWriter, schemaFromColumnData, type BasicType, type ColumnSource } from 'hyparquet-writer';
import { openRecordBatches } from '../data/arrow-source.js';
import { parseByteSize } from '../cli/commands/partition.js';
import { partitionDataset } from '../data/partition.js';
import { SYNTHETIC_SCHEMA, generateTransactions } from '../data/synthetic/generate-transactions.js';

interface Measured {
  readonly events: number;
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly note: string;
}

/** The part of `@duckdb/node-api` used here (it is not installed in this repository). */
interface DuckDbModule {
  readonly DuckDBInstance: {
    create(path: string, options: Record<string, string>): Promise<{
      connect(): Promise<{ run(sql: string): Promise<unknown>; runAndReadAll(sql: string): Promise<{ getRows(): unknown[][] }> }>;
    }>;
  };
}

const PARQUET_TYPES: Readonly<Record<string, BasicType>> = { client_id: 'INT32', trans_date: 'DOUBLE', small_group: 'INT32', tr_type: 'INT32', amount_rur: 'FLOAT' };

/** The generated Arrow file as Parquet (one row group per record batch), for DuckDB. */
async function writeParquetCopy(arrow: string, parquet: string): Promise<void> {
  let writer: ParquetWriter | undefined;
  for await (const batch of openRecordBatches(arrow)) {
    const columnData: ColumnSource[] = batch.schema.fields.map((f) => ({ name: f.name, data: batch.getChild(f.name)!.toArray() as ColumnSource['data'], type: PARQUET_TYPES[f.name]!, nullable: false }));
    writer ??= new ParquetWriter({ writer: fileWriter(parquet), schema: schemaFromColumnData({ columnData }) });
    await writer.write({ columnData, rowGroupSize: batch.numRows });
  }
  await writer!.finish();
}

/**
 * This process's own resident high-water mark (MB): `VmHWM` of /proc/self/status. Not
 * `process.resourceUsage().maxRSS`: Linux carries the high-water mark across fork + exec, so a child
 * spawned by a parent holding 500 MB reports the parent's 500 MB (it did here, after generating 20M
 * events in the parent: 515–534 MB reported for a partitioner whose own peak is ~300 MB).
 */
function ownPeakRssMb(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb === undefined ? process.resourceUsage().maxRSS / 1024 : Number(kb) / 1024;
}

const flag = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1]! : fallback;
};

if (process.argv[2] === '--child') {
  const [, , , tool, input, out, partitionsText, limitText] = process.argv;
  const partitions = Number(partitionsText);
  const started = performance.now();
  let events = 0;
  let note = '';
  if (tool === 'meles') {
    const summary = await partitionDataset({ data: input!, mapping: SYNTHETIC_SCHEMA, out: out!, partitions, memoryLimit: parseByteSize('--memory-limit', limitText!) });
    events = summary.manifest.rows;
    note = `${summary.sortRuns} sort runs, flush ${summary.flushRows} rows`;
  } else {
    const require = createRequire(join(process.env.DUCKDB_NODE_MODULES!, 'x.js'));
    const duckdb = (await import(pathToFileURL(require.resolve('@duckdb/node-api')).href)) as DuckDbModule;
    const db = await duckdb.DuckDBInstance.create(':memory:', { memory_limit: limitText!, threads: '2', temp_directory: join(out!, '.duckdb-tmp') });
    const connection = await db.connect();
    await connection.run(
      `COPY (SELECT *, hash(CAST(client_id AS VARCHAR)) % ${partitions} AS part FROM read_parquet('${input}') ORDER BY part, client_id, trans_date) ` +
        `TO '${out}' (FORMAT parquet, PARTITION_BY (part), OVERWRITE_OR_IGNORE)`,
    );
    const count = await connection.runAndReadAll(`SELECT count(*) FROM read_parquet('${out}/**/*.parquet')`);
    events = Number(count.getRows()[0]![0]);
    note = 'Parquet in, Parquet out';
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ events, seconds, peakRssMb: ownPeakRssMb(), note }));
} else {
  const sizes = (process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : '5,20').split(',').map(Number);
  const partitions = flag('--partitions', '16');
  const limit = flag('--memory-limit', '512MB');
  const dir = flag('--dir', '/tmp/meles-bench-partition');
  const self = fileURLToPath(import.meta.url);
  const measure = (tool: string, input: string, out: string): Measured => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', tool, input, out, partitions, limit], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (run.status !== 0) throw new Error(`${tool}: ${run.stderr}`);
    return JSON.parse(run.stdout) as Measured;
  };
  console.log(`partitions ${partitions}, memory limit ${limit}, 2 cores shared`);
  for (const millions of sizes) {
    const root = join(dir, `${millions}M`);
    await rm(root, { recursive: true, force: true });
    await mkdir(root, { recursive: true });
    // Lengths 100..300 (mean 200): clients = events / 200.
    const made = await generateTransactions({ out: join(root, 'src'), clients: Math.round((millions * 1e6) / 200) });
    const mb = (await stat(made.transactionsPath)).size / 1024 ** 2;
    const report = (tool: string, m: Measured) =>
      console.log(
        `${String(millions).padStart(3)}M ${tool.padEnd(7)} ${m.events} events (${mb.toFixed(0)} MB Arrow) in ${m.seconds.toFixed(1)} s = ${(m.events / m.seconds / 1e6).toFixed(2)} M events/s, peak RSS ${m.peakRssMb.toFixed(0)} MB (${m.note})`,
      );
    report('meles', measure('meles', made.transactionsPath, join(root, 'parts')));
    await rm(join(root, 'parts'), { recursive: true, force: true });
    if (process.env.DUCKDB_NODE_MODULES) {
      const parquet = join(root, 'transactions.parquet');
      await writeParquetCopy(made.transactionsPath, parquet);
      report('duckdb', measure('duckdb', parquet, join(root, 'duck')));
      const files = (await readdir(join(root, 'duck'))).length;
      if (files === 0) throw new Error('duckdb wrote nothing');
    } else {
      console.log(`${String(millions).padStart(3)}M duckdb  skipped (set DUCKDB_NODE_MODULES)`);
    }
    await rm(root, { recursive: true, force: true });
  }
}
