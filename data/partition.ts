/**
 * `meles partition`: splits a dataset into client-hash partitions, each one Arrow IPC file with
 * events grouped by client and stable by time inside a client, plus a `manifest.json`
 * (partition-manifest.ts). Streaming, in two passes, with memory bounded by a limit whatever the
 * input size:
 *
 * 1. Every record batch of the dataset is routed row by row to its client's partition
 *    (partition-hash.ts) into a small buffer per partition, flushed as a record batch onto that
 *    partition's spill file (an Arrow IPC stream) when full. Vocabulary and client counts are
 *    taken in the same pass; they are small (distinct values, not events).
 * 2. Partitions are sorted one at a time (partition-sort.ts); one too large for the limit is
 *    sorted in several sub-passes over its spill file, each holding a run of its clients. A
 *    single client too large for the limit is refused before anything is written.
 *
 * Only the mapped columns are kept. Everything is written under a hidden temp folder inside the
 * output folder and renamed into place at the end (the manifest last), so a failure leaves no
 * partial partition set behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordBatch, Schema, Field, Struct, Table, makeData, util, type Data, type DataType } from 'apache-arrow';
import { ConfigError, DataFormatError } from '../errors.js';
import { typeName } from './arrow-columns.js';
import { writeArrowFile, writeArrowTable } from './arrow-sink.js';
import { writeAtomically } from './atomic-write.js';
import { openDatasetBatches, resolveDataset } from './dataset.js';
import { checkSchema } from './event-scanner.js';
import { KeyCoder } from './key-coder.js';
import { ColumnBuilder, estimatedWidth, partitionTypeOf } from './partition-columns.js';
import { PARTITION_HASH, partitionOfId } from './partition-hash.js';
import { PARTITION_FORMAT, PARTITION_FORMAT_VERSION, PARTITION_MANIFEST, sha256OfFile, type PartitionManifest } from './partition-manifest.js';
import { sortedPartition } from './partition-sort.js';
import { SpillFile } from './partition-spill.js';
import type { SchemaMapping } from './schema-mapping.js';
import { Vocabulary } from './vocabulary.js';

/** Most partitions one run writes (each has an open spill file during pass 1). */
export const MAX_PARTITIONS = 1000;
/** Memory limit when none is given: 2 GiB. */
export const DEFAULT_MEMORY_LIMIT = 2 * 1024 ** 3;

/** Options of {@link partitionDataset}. */
export interface PartitionOptions {
  /** The dataset: a file, a directory or a glob (dataset.ts). */
  readonly data: string;
  readonly mapping: SchemaMapping;
  /** Output folder (created when missing). */
  readonly out: string;
  /** Number of partitions, 1..{@link MAX_PARTITIONS}. */
  readonly partitions: number;
  /** Peak resident memory to stay under, in bytes. @defaultValue {@link DEFAULT_MEMORY_LIMIT} */
  readonly memoryLimit?: number;
  /** Most events one sort sub-pass holds (tests use it to force several runs). @defaultValue from the memory limit */
  readonly maxRunEvents?: number;
  /** Progress after each routed batch and each sorted partition. @defaultValue none */
  readonly onProgress?: (progress: PartitionProgress) => void;
}

/** Where the partitioner is. */
export interface PartitionProgress {
  readonly phase: 'route' | 'sort';
  /** Rows routed so far (route), or partitions sorted so far (sort). */
  readonly done: number;
}

/** What {@link partitionDataset} wrote. */
export interface PartitionSummary {
  readonly manifestPath: string;
  readonly manifest: PartitionManifest;
  /** Sub-passes of pass 2 (equals the partition count when every partition fit the limit at once). */
  readonly sortRuns: number;
  /** Rows per buffered flush in pass 1. */
  readonly flushRows: number;
}

/**
 * Partitions a dataset; see the module comment.
 * @throws ConfigError for a bad partition count or a memory limit too small (for the process, or
 *   for the largest client); DataFormatError for unreadable input, null ids or times, or files
 *   whose column types differ.
 */
export async function partitionDataset(options: PartitionOptions): Promise<PartitionSummary> {
  const { mapping, partitions } = options;
  const limit = options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    throw new ConfigError(`--partitions: expected an integer from 1 to ${MAX_PARTITIONS}, found ${partitions}`);
  }
  const headroom = limit - process.memoryUsage().rss;
  if (headroom < 64 * 1024 ** 2) {
    throw new ConfigError(`--memory-limit: expected at least 64 MB above this process's ${mb(process.memoryUsage().rss)} MB resident, found ${mb(limit)} MB`);
  }
  const dataset = await resolveDataset(options.data);
  await mkdir(options.out, { recursive: true });
  const work = join(options.out, `.partition-tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(work);
  try {
    const routed = await route(options, dataset, work, headroom);
    const sorted = await sortAll(routed, work, limit, options);
    const manifest: PartitionManifest = {
      format: PARTITION_FORMAT,
      formatVersion: PARTITION_FORMAT_VERSION,
      schema: { id: mapping.id, time: mapping.time, categorical: [...mapping.categorical], numeric: [...mapping.numeric], ...(mapping.transforms ? { transforms: { ...mapping.transforms } } : {}) },
      columns: routed.columns,
      partitions,
      hash: PARTITION_HASH,
      order: 'clients in first-appearance order of the source; events stable by time within a client',
      source: { spec: options.data, files: dataset.files.length },
      rows: routed.rows,
      clients: routed.ids.size,
      files: sorted.files,
      vocabularies: routed.vocabularies,
    };
    const manifestPath = join(options.out, PARTITION_MANIFEST);
    await commit(work, options.out, sorted.files.map((f) => f.file), manifest);
    return { manifestPath, manifest, sortRuns: sorted.runs, flushRows: routed.flushRows };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

interface Routed {
  readonly schema: Schema;
  readonly columns: PartitionManifest['columns'];
  readonly spills: readonly SpillFile[];
  readonly ids: KeyCoder;
  /** Partition of every client code. */
  readonly partitionOf: Int32Array;
  /** Events of every client code. */
  readonly eventsOf: Float64Array;
  readonly rows: number;
  readonly vocabularies: PartitionManifest['vocabularies'];
  readonly flushRows: number;
  readonly idColumn: number;
  readonly timeColumn: number;
}

/** Pass 1: routes every row to its partition's spill file. */
async function route(options: PartitionOptions, dataset: Awaited<ReturnType<typeof resolveDataset>>, work: string, headroom: number): Promise<Routed> {
  const { mapping, partitions } = options;
  const names = [mapping.id, mapping.time, ...mapping.categorical, ...mapping.numeric];
  const roles = [['id'], ['time'], mapping.categorical.map(() => 'categorical'), mapping.numeric.map(() => 'numeric')].flat();
  const ids = new KeyCoder();
  const categories = mapping.categorical.map(() => new KeyCoder());
  let partitionOf = new Int32Array(1024);
  let first: { path: string; types: DataType[]; sourceTypes: DataType[] } | null = null;
  let schema: Schema | null = null;
  let spills: SpillFile[] = [];
  let buffers: ColumnBuilder[][] = [];
  let flushRows = 0;
  let fileIndex = -1;
  let rows = 0;
  const flush = async (p: number): Promise<void> => {
    const children = buffers[p]!.map((b) => b.finish());
    await spills[p]!.append(new RecordBatch(schema!, makeData({ type: new Struct(schema!.fields), length: children[0]!.length, nullCount: 0, children })));
    for (const b of buffers[p]!) b.reset();
  };
  try {
    for await (const { file, fileIndex: at, schema: fileSchema, batch } of openDatasetBatches(dataset, { columns: names })) {
      if (at !== fileIndex) {
        fileIndex = at;
        const layout = checkSchema(file.path, fileSchema, mapping);
        const sourceTypes = names.map((name) => layout.types[layout.index[name]!]!);
        const types = sourceTypes.map(partitionTypeOf);
        if (first === null) {
          first = { path: file.path, types, sourceTypes };
          schema = new Schema(names.map((name, c) => new Field(name, types[c]!, true)));
          // Pass-1 buffers get a quarter of the headroom; the rest is for batches in flight and the coders.
          const rowBytes = types.reduce((sum, t) => sum + estimatedWidth(t), 0);
          flushRows = Math.max(64, Math.min(65_536, Math.floor(headroom / 4 / (partitions * rowBytes))));
          spills = Array.from({ length: partitions }, (_, p) => new SpillFile(join(work, `spill-${p}.arrows`), schema!));
          buffers = spills.map(() => types.map((t) => new ColumnBuilder(t, Math.min(flushRows, 1024))));
        } else {
          names.forEach((name, c) => {
            if (!util.compareTypes(types[c]!, first!.types[c]!)) {
              throw new DataFormatError(
                `${file.path}: column \`${name}\`: expected ${typeName(first!.sourceTypes[c]!)} as in ${first!.path} (the dataset's first file), found ${typeName(sourceTypes[c]!)}; partitioning needs one type per column across files`,
              );
            }
          });
        }
      }
      const n = batch.numRows;
      if (n === 0) continue;
      const columns: Data[] = names.map((name) => batch.data.children[batch.schema.fields.findIndex((f) => f.name === name)]!);
      rejectNulls(file.path, mapping.id, 'id', columns[0]!);
      rejectNulls(file.path, mapping.time, 'time', columns[1]!);
      const known = ids.size;
      const codes = ids.code(columns[0]!);
      if (ids.size > known) {
        if (partitionOf.length < ids.size) {
          const grown = new Int32Array(Math.max(ids.size, partitionOf.length * 2));
          grown.set(partitionOf);
          partitionOf = grown;
        }
        const keys = ids.keys;
        for (let k = known; k < ids.size; k++) partitionOf[k] = partitionOfId(String(keys[k]!), partitions);
      }
      categories.forEach((coder, j) => coder.code(columns[2 + j]!));
      // Stable counting sort of the batch's rows by partition, then one gather per partition.
      const starts = new Int32Array(partitions + 1);
      for (let i = 0; i < n; i++) starts[partitionOf[codes[i]!]! + 1]!++;
      for (let p = 0; p < partitions; p++) starts[p + 1]! += starts[p]!;
      const next = starts.slice(0, partitions);
      const order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[next[partitionOf[codes[i]!]!]!++] = i;
      for (let p = 0; p < partitions; p++) {
        for (let from = starts[p]!; from < starts[p + 1]!; ) {
          const room = flushRows - buffers[p]![0]!.length;
          const to = Math.min(starts[p + 1]!, from + room);
          for (let c = 0; c < names.length; c++) buffers[p]![c]!.gather(columns[c]!, order, from, to);
          from = to;
          if (buffers[p]![0]!.length >= flushRows) await flush(p);
        }
      }
      rows += n;
      options.onProgress?.({ phase: 'route', done: rows });
    }
    if (schema === null || rows === 0) throw new DataFormatError(`${options.data}: expected at least one row, found 0 rows`);
    for (let p = 0; p < partitions; p++) if (buffers[p]![0]!.length > 0) await flush(p);
    for (const spill of spills) await spill.close();
  } catch (error) {
    await Promise.all(spills.map((s) => s.abandon()));
    throw error;
  }
  const vocabularies: PartitionManifest['vocabularies'] = {};
  mapping.categorical.forEach((name, j) => {
    const json = Vocabulary.fromCounts(categories[j]!.tokens(), categories[j]!.counts()).toJSON();
    vocabularies[name] = { tokens: [...json.tokens], counts: [...json.counts] };
  });
  return {
    schema: schema!,
    columns: names.map((name, c) => ({ name, role: roles[c]!, type: typeName(first!.types[c]!), sourceType: typeName(first!.sourceTypes[c]!) })),
    spills,
    ids,
    partitionOf: partitionOf.subarray(0, ids.size),
    eventsOf: ids.counts().slice(), // a copy: pass 2 codes the ids again, which counts them again
    rows,
    vocabularies,
    flushRows,
    idColumn: 0,
    timeColumn: 1,
  };
}

/** Pass 2: sorts every partition into `work/part-NNNNN.arrow`, in runs that fit the limit. */
async function sortAll(routed: Routed, work: string, limit: number, options: PartitionOptions): Promise<{ files: PartitionManifest['files']; runs: number }> {
  const { spills, ids, partitionOf, eventsOf } = routed;
  const headroom = limit - process.memoryUsage().rss;
  const rowBytes = Math.max(...spills.map((s) => (s.rows === 0 ? 0 : s.bytes / s.rows)));
  // Per held row: its bytes in the builders, rank + time + order (16), and about as much again for
  // the garbage collector's slack and the output batches in flight.
  const runRows = Math.min(options.maxRunEvents ?? Infinity, Math.floor(headroom / 2 / (rowBytes + 16)));
  const clientsOf: number[][] = spills.map(() => []);
  let largest = 0;
  for (let code = 0; code < ids.size; code++) {
    clientsOf[partitionOf[code]!]!.push(code);
    if (eventsOf[code]! > eventsOf[largest]!) largest = code;
  }
  if (runRows < 1 || eventsOf[largest]! > runRows) {
    throw new ConfigError(
      `--memory-limit ${mb(limit)} MB: client ${String(ids.keys[largest])} has ${eventsOf[largest]} events (about ${mb(eventsOf[largest]! * 2 * (rowBytes + 16))} MB to sort), but only ${mb(Math.max(0, headroom))} MB are left under the limit; raise --memory-limit`,
    );
  }
  const scratch = new Int32Array(ids.size).fill(-1);
  const files: PartitionManifest['files'] = [];
  let runs = 0;
  for (let p = 0; p < spills.length; p++) {
    const partitionRuns = runsOf(clientsOf[p]!, eventsOf, runRows);
    runs += partitionRuns.length;
    const file = `part-${String(p).padStart(5, '0')}.arrow`;
    const path = join(work, file);
    // A partition without clients still gets a file (with the schema), so the set is complete.
    if (spills[p]!.rows === 0) await writeArrowTable(path, new Table(routed.schema));
    else {
      await writeArrowFile(
        path,
        sortedPartition({ spill: spills[p]!.path, schema: routed.schema, idColumn: routed.idColumn, timeColumn: routed.timeColumn, ids, runs: partitionRuns, eventsOf, scratch }),
      );
    }
    await rm(spills[p]!.path, { force: true });
    files.push({ file, rows: spills[p]!.rows, clients: clientsOf[p]!.length, bytes: (await stat(path)).size, sha256: await sha256OfFile(path) });
    options.onProgress?.({ phase: 'sort', done: p + 1 });
  }
  return { files, runs };
}

/** Splits a partition's clients (codes in increasing order) into contiguous runs of at most `maxRows` events. */
function runsOf(clients: readonly number[], eventsOf: Float64Array, maxRows: number): Int32Array[] {
  const runs: Int32Array[] = [];
  let start = 0;
  let held = 0;
  for (let i = 0; i < clients.length; i++) {
    const events = eventsOf[clients[i]!]!;
    if (held + events > maxRows && i > start) {
      runs.push(Int32Array.from(clients.slice(start, i)));
      start = i;
      held = 0;
    }
    held += events;
  }
  // An empty partition still gets one (empty) run, so its file has a schema.
  runs.push(Int32Array.from(clients.slice(start)));
  return runs;
}

/** Moves the finished files into `out`: the old manifest goes first and the new one comes last, stale parts are removed. */
async function commit(work: string, out: string, files: readonly string[], manifest: PartitionManifest): Promise<void> {
  await rm(join(out, PARTITION_MANIFEST), { force: true });
  for (const file of files) await rename(join(work, file), join(out, file));
  for (const name of await readdir(out)) {
    if (/^part-\d{5}\.arrow$/.test(name) && !files.includes(name)) await rm(join(out, name), { force: true });
  }
  await writeAtomically(join(out, PARTITION_MANIFEST), (tmp) => writeFile(tmp, `${JSON.stringify(manifest, null, 1)}\n`));
}

function rejectNulls(path: string, name: string, role: string, data: Data): void {
  if (data.nullCount > 0) throw new DataFormatError(`${path}: column \`${name}\` (${role}): expected no nulls, found ${data.nullCount} null(s) in a batch`);
}

function mb(bytes: number): number {
  return Math.round(bytes / 1024 ** 2);
}
