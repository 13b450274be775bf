/**
 * The `manifest.json` of a partitioned dataset (written by `meles partition`, read by
 * `resolveDataset`): format version, schema mapping, column types, the hash that routes clients,
 * and per partition file its rows, clients, bytes and SHA-256, plus the full vocabularies of the
 * categorical columns (counted over the source in its original order, so a reader of the
 * partitions builds exactly the vocabularies it would have built from the source).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DataFormatError } from '../errors.js';
import { openRecordBatches } from './arrow-source.js';
import { readJsonFile } from './json-file.js';

/** Name of the manifest inside a partition directory. */
export const PARTITION_MANIFEST = 'manifest.json';
/** The `format` a partition manifest carries (tells it from a pipeline stage manifest). */
export const PARTITION_FORMAT = 'meles-partitions';
/** Version of the manifest and file layout. */
export const PARTITION_FORMAT_VERSION = 1;

const vocabularySchema = z.strictObject({ tokens: z.array(z.string()), counts: z.array(z.number().int().min(0)) });

/** Schema of `manifest.json`. */
export const partitionManifestSchema = z.strictObject({
  format: z.literal(PARTITION_FORMAT),
  formatVersion: z.literal(PARTITION_FORMAT_VERSION),
  /** The schema mapping the partitions were made with (only mapped columns are kept). */
  schema: z.strictObject({
    id: z.string(),
    time: z.string(),
    categorical: z.array(z.string()),
    numeric: z.array(z.string()),
    transforms: z.record(z.string(), z.string()).optional(),
  }),
  /** Column name, role and Arrow type in the partition files (and in the source's first file). */
  columns: z.array(z.strictObject({ name: z.string(), role: z.string(), type: z.string(), sourceType: z.string() })),
  partitions: z.int().min(1),
  /** How a client's partition is chosen (see partition-hash.ts). */
  hash: z.string(),
  /** Events grouped by client (first-appearance order of the source), stable by time inside a client. */
  order: z.string(),
  source: z.strictObject({ spec: z.string(), files: z.int().min(1) }),
  rows: z.int().min(0),
  clients: z.int().min(0),
  files: z.array(z.strictObject({ file: z.string().regex(/^part-\d{5}\.arrow$/), rows: z.int().min(0), clients: z.int().min(0), bytes: z.int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
  /** Full vocabularies (`Vocabulary.toJSON()`, nothing cut) of the categorical columns. */
  vocabularies: z.record(z.string(), vocabularySchema),
});

/** A parsed partition manifest. */
export type PartitionManifest = z.infer<typeof partitionManifestSchema>;

/** True when `dir` holds a `manifest.json` that says it is a partition directory (any version). */
export async function isPartitionDirectory(dir: string): Promise<boolean> {
  const path = join(dir, PARTITION_MANIFEST);
  if (!(await stat(path).then((s) => s.isFile(), () => false))) return false;
  const raw = await readJsonFile(path, 'partition manifest', z.unknown()).catch(() => undefined);
  return typeof raw === 'object' && raw !== null && (raw as { format?: unknown }).format === PARTITION_FORMAT;
}

/**
 * Reads a partition directory's manifest and checks every partition file against it: present,
 * the same SHA-256 and the same number of rows.
 * @throws DataFormatError naming the partition file and the manifest on any mismatch.
 */
export async function readVerifiedPartitions(dir: string): Promise<{ manifest: PartitionManifest; paths: string[] }> {
  const manifestPath = join(dir, PARTITION_MANIFEST);
  const manifest = await readJsonFile(manifestPath, 'partition manifest', partitionManifestSchema);
  if (manifest.files.length !== manifest.partitions) {
    throw new DataFormatError(`${manifestPath}: expected ${manifest.partitions} partition files, found ${manifest.files.length} listed`);
  }
  const paths: string[] = [];
  for (const entry of manifest.files) {
    const path = join(dir, entry.file);
    const sha256 = await sha256OfFile(path).catch((error: unknown) => {
      throw new DataFormatError(`${path}: partition file listed in ${manifestPath} is missing or unreadable`, { cause: error });
    });
    if (sha256 !== entry.sha256) {
      throw new DataFormatError(`${path}: expected sha256 ${entry.sha256} as ${manifestPath} records, found ${sha256} (the file changed after partitioning)`);
    }
    let rows = 0;
    for await (const batch of openRecordBatches(path)) rows += batch.numRows;
    if (rows !== entry.rows) throw new DataFormatError(`${path}: expected ${entry.rows} rows as ${manifestPath} records, found ${rows}`);
    paths.push(path);
  }
  return { manifest, paths };
}

/** SHA-256 (hex) of a file, streamed. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
