/**
 * Datasets: what every data command reads. A dataset is one file, a directory (its Arrow and
 * Parquet files, recursively) or a glob (`/data/daily/*.arrow`, `parts/**\/*.parquet`; see
 * glob.ts). Its files are sorted by path and read one after the other as one stream of record
 * batches, so the events of all files form one history per client: a client may appear in many
 * files, and ties in time keep file-name order. Each file's format is told by its bytes (Parquet
 * starts with `PAR1`), not its name.
 *
 * A directory written by `meles partition` (its `manifest.json` says so) is read as its partition
 * files in manifest order, each checked against the manifest first (present, same SHA-256, same
 * rows); readers also take its recorded vocabularies, so it reads exactly like its source.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { RecordBatch, Schema } from 'apache-arrow';
import { DataFormatError } from '../errors.js';
import { openRecordBatches } from './arrow-source.js';
import { expandGlob, hasGlobMagic } from './glob.js';
import { openParquetBatches, PARQUET_MAGIC } from './parquet-source.js';
import { isPartitionDirectory, readVerifiedPartitions, type PartitionManifest } from './partition-manifest.js';

/** How one file of a dataset is stored. */
export type DatasetFormat = 'arrow' | 'parquet';

/** One file of a dataset. */
export interface DatasetFile {
  /** Path as resolved (relative paths stay relative). */
  readonly path: string;
  /** Arrow IPC (file or stream) or Parquet. */
  readonly format: DatasetFormat;
}

/** A resolved dataset: the ordered files. */
export interface Dataset {
  /** What the user passed (file, directory or glob). */
  readonly spec: string;
  /** Its files, sorted by path; never empty. */
  readonly files: readonly DatasetFile[];
  /** The manifest, when the dataset is a verified partition directory (partition-manifest.ts). */
  readonly partitions?: PartitionManifest;
}

/** One record batch of a dataset, with the file it came from. */
export interface DatasetBatch {
  /** The file. */
  readonly file: DatasetFile;
  /** Position of the file in {@link Dataset.files}. */
  readonly fileIndex: number;
  /** The file's whole schema (for checks and messages; the batch may hold fewer columns). */
  readonly schema: Schema;
  /** The rows (for Parquet only the requested columns). */
  readonly batch: RecordBatch;
}

/** Options of {@link openDatasetBatches}. */
export interface DatasetReadOptions {
  /** Columns the reader needs; Parquet files decode only these (Arrow batches keep all). @defaultValue every column */
  readonly columns?: readonly string[];
}

/** File name endings a directory dataset picks up (a glob or a file path takes any name). */
export const DATASET_EXTENSIONS: readonly string[] = ['.arrow', '.arrows', '.feather', '.ipc', '.parquet', '.pq'];

/**
 * Resolves a file, directory or glob into its ordered files.
 * @throws DataFormatError naming the pattern when a glob matches nothing, the directory when it holds no data file,
 *   or a partition file and the manifest when the file is missing or does not match the manifest.
 */
export async function resolveDataset(spec: string): Promise<Dataset> {
  let paths: string[];
  if (!hasGlobMagic(spec) && (await isDirectory(spec)) && (await isPartitionDirectory(spec))) {
    const { manifest, paths: parts } = await readVerifiedPartitions(spec);
    return { spec, files: parts.map((path) => ({ path, format: 'arrow' })), partitions: manifest };
  }
  if (hasGlobMagic(spec)) {
    paths = await expandGlob(spec);
    if (paths.length === 0) throw new DataFormatError(`${spec}: expected the pattern to match at least one file, found none`);
  } else if (await isDirectory(spec)) {
    paths = await listDataFiles(spec);
    if (paths.length === 0) {
      throw new DataFormatError(`${spec}: expected a directory with data files (${DATASET_EXTENSIONS.join(', ')}), found none`);
    }
  } else {
    // A single path: a missing or unreadable file fails in the Arrow reader with its usual message.
    paths = [spec];
  }
  const files: DatasetFile[] = [];
  for (const path of paths) files.push({ path, format: await formatOf(path) });
  return { spec, files };
}

/**
 * Yields the record batches of every file of `dataset`, file after file (one file open at a time,
 * so memory is that of the largest file's batches, not of the sum).
 * @throws DataFormatError naming the file for every unreadable file.
 */
export async function* openDatasetBatches(dataset: Dataset, options: DatasetReadOptions = {}): AsyncGenerator<DatasetBatch> {
  for (const [fileIndex, file] of dataset.files.entries()) {
    if (file.format === 'parquet') {
      for await (const { schema, batch } of openParquetBatches(file.path, options.columns)) yield { file, fileIndex, schema, batch };
    } else {
      for await (const batch of openRecordBatches(file.path)) yield { file, fileIndex, schema: batch.schema, batch };
    }
  }
}

/** A short description for messages and summaries: the path for one file, else `spec (n files)`. */
export function describeDataset(dataset: Dataset): string {
  return dataset.files.length === 1 && dataset.files[0]!.path === dataset.spec ? dataset.spec : `${dataset.spec} (${dataset.files.length} files)`;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** Data files under `dir`, recursively (hive-style partitions), sorted by path; hidden entries are skipped. */
async function listDataFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listDataFiles(path)));
    else if (entry.isFile() && DATASET_EXTENSIONS.includes(extname(entry.name).toLowerCase())) out.push(path);
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Parquet when the file starts with `PAR1`, else Arrow (whose reader checks and words the error). */
async function formatOf(path: string): Promise<DatasetFormat> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (handle === undefined) return 'arrow';
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && head.toString('latin1') === PARQUET_MAGIC ? 'parquet' : 'arrow';
  } finally {
    await handle.close();
  }
}
