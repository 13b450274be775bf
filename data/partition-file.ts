/**
 * One partition of a partitioned dataset (`meles partition`), checked against the manifest on its
 * own: a job that handles partition 3 reads and hashes only `part-00003.arrow`, not the whole
 * directory (`readVerifiedPartitions` checks every file, which is right for a reader of all of them).
 */
import { join } from 'node:path';
import { DataFormatError } from '../errors.js';
import { openRecordBatches } from './arrow-source.js';
import { readJsonFile } from './json-file.js';
import { PARTITION_MANIFEST, partitionManifestSchema, sha256OfFile, type PartitionManifest } from './partition-manifest.js';

/** The manifest of a partition directory and its SHA-256 (jobs record it to notice a manifest replaced under them). */
export interface ReadPartitionManifest {
  /** The manifest file. */
  readonly path: string;
  readonly manifest: PartitionManifest;
  /** SHA-256 (hex) of the manifest file's bytes. */
  readonly sha256: string;
}

/**
 * Reads `dir/manifest.json`; when `expectedSha256` is given, the manifest must still be that one.
 * @throws DataFormatError naming the manifest when it is missing, malformed or another one.
 */
export async function readPartitionManifest(dir: string, expectedSha256?: string): Promise<ReadPartitionManifest> {
  const path = join(dir, PARTITION_MANIFEST);
  const manifest = await readJsonFile(path, 'partition manifest', partitionManifestSchema, { errorClass: DataFormatError });
  const sha256 = await sha256OfFile(path);
  if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
    throw new DataFormatError(`${path}: expected the partition manifest with sha256 ${expectedSha256} (as when the jobs were submitted), found ${sha256}: the partitions were rewritten; submit again`);
  }
  if (manifest.files.length !== manifest.partitions) {
    throw new DataFormatError(`${path}: expected ${manifest.partitions} partition files, found ${manifest.files.length} listed`);
  }
  return { path, manifest, sha256 };
}

/** A partition file that matched its manifest entry. */
export interface VerifiedPartitionFile {
  /** The partition file. */
  readonly path: string;
  /** Its rows (0: an empty partition; the file still exists). */
  readonly rows: number;
  /** Its clients, as the manifest records. */
  readonly clients: number;
}

/**
 * Checks partition `index` of the directory whose manifest is `read`: present, the recorded
 * SHA-256 and row count.
 * @throws DataFormatError naming the partition file and the manifest on any mismatch.
 */
export async function verifyPartitionFile(dir: string, read: ReadPartitionManifest, index: number): Promise<VerifiedPartitionFile> {
  const entry = read.manifest.files[index];
  if (entry === undefined) throw new DataFormatError(`${read.path}: expected a partition ${index}, found ${read.manifest.files.length} partitions listed`);
  const path = join(dir, entry.file);
  const sha256 = await sha256OfFile(path).catch((error: unknown) => {
    throw new DataFormatError(`${path}: partition file listed in ${read.path} is missing or unreadable`, { cause: error });
  });
  if (sha256 !== entry.sha256) {
    throw new DataFormatError(`${path}: expected sha256 ${entry.sha256} as ${read.path} records, found ${sha256} (the file changed after partitioning)`);
  }
  let rows = 0;
  for await (const batch of openRecordBatches(path)) rows += batch.numRows;
  if (rows !== entry.rows) throw new DataFormatError(`${path}: expected ${entry.rows} rows as ${read.path} records, found ${rows}`);
  return { path, rows, clients: entry.clients };
}
