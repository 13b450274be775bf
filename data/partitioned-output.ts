/**
 * A partitioned output: what `meles embed`/`features`/`score` write for a partitioned dataset
 * (`meles partition`), one keyed Arrow file per input partition (`part-00003.arrow`, written by
 * its own job) plus `manifest.json` (written last, once every part exists): partition ids, file
 * names, row counts, SHA-256, the id column and the model. Readers of keyed tables (keyed-table.ts)
 * take the directory, or its manifest, like one file: every part is checked against the manifest
 * first, so a missing, truncated or replaced part is an error naming that file, never silently
 * fewer clients.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { z } from 'zod';
import { DataFormatError } from '../errors.js';
import { openRecordBatches } from './arrow-source.js';
import { readJsonFile } from './json-file.js';
import { sha256OfFile } from './partition-manifest.js';

/** Name of the manifest inside a partitioned output directory. */
export const OUTPUT_MANIFEST = 'manifest.json';
/** The `format` an output manifest carries (tells it from a partition dataset's manifest). */
export const PARTITIONED_OUTPUT_FORMAT = 'meles-partitioned-output';
/** Version of the output manifest. */
export const PARTITIONED_OUTPUT_VERSION = 1;
/** What a partitioned output holds. */
export const PARTITIONED_OUTPUT_KINDS = ['embeddings', 'features', 'predictions'] as const;
/** One of {@link PARTITIONED_OUTPUT_KINDS}. */
export type PartitionedOutputKind = (typeof PARTITIONED_OUTPUT_KINDS)[number];

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/);

/** One part: the output of one input partition. An empty input partition has no file (`file: null`, 0 rows). */
export const outputPartSchema = z.strictObject({
  partition: z.int().min(0),
  file: z.string().regex(/^part-\d{5}\.arrow$/).nullable(),
  rows: z.int().min(0),
  bytes: z.int().min(0),
  sha256: sha256Schema.nullable(),
});

/** Schema of an output `manifest.json`. */
export const partitionedOutputSchema = z.strictObject({
  format: z.literal(PARTITIONED_OUTPUT_FORMAT),
  formatVersion: z.literal(PARTITIONED_OUTPUT_VERSION),
  kind: z.enum(PARTITIONED_OUTPUT_KINDS),
  /** The submission that wrote it (a retried manifest job may replace only its own run's manifest). */
  runId: z.string(),
  /** The partitioned dataset the parts come from: its partition count and its manifest's SHA-256. */
  source: z.strictObject({ partitions: z.int().min(1), manifestSha256: sha256Schema }),
  /** The id column of every part: name, Arrow type as text, and whether ids are numbers or strings. */
  idColumn: z.strictObject({ name: z.string(), type: z.string(), kind: z.enum(['number', 'string']) }),
  /** The model that made the parts, as recorded in each part's metadata: for embeddings its fingerprint (and registry version); for predictions the SHA-256 of the fit's `model.txt` (`fit.json` `modelSha256`, version `null`). */
  model: z.strictObject({ sha256: sha256Schema, version: z.string().nullable() }).nullable(),
  rows: z.int().min(0),
  parts: z.array(outputPartSchema),
});

/** A parsed output manifest. */
export type PartitionedOutputManifest = z.infer<typeof partitionedOutputSchema>;
/** One entry of {@link PartitionedOutputManifest.parts}. */
export type OutputPart = z.infer<typeof outputPartSchema>;

/** File name of partition `index`'s part, e.g. `part-00003.arrow` (the same name as the input partition). */
export function outputPartFile(index: number): string {
  return `part-${String(index).padStart(5, '0')}.arrow`;
}

/**
 * The manifest path when `path` is a partitioned output (its directory, or its `manifest.json`
 * itself), else `undefined` (a plain file, or a directory that is something else).
 */
export async function partitionedOutputManifestPath(path: string): Promise<string | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return undefined;
  const manifest = info.isDirectory() ? join(path, OUTPUT_MANIFEST) : basename(path).endsWith('.json') ? path : undefined;
  if (manifest === undefined) return undefined;
  const raw = await readJsonFile(manifest, 'output manifest', z.unknown()).catch(() => undefined);
  return typeof raw === 'object' && raw !== null && (raw as { format?: unknown }).format === PARTITIONED_OUTPUT_FORMAT ? manifest : undefined;
}

/** A partitioned output whose parts were checked against its manifest. */
export interface VerifiedOutput {
  /** The manifest file. */
  readonly manifestPath: string;
  readonly manifest: PartitionedOutputManifest;
  /** The part files holding rows, in partition order. */
  readonly paths: readonly string[];
}

/** Parts verified in this process, by manifest path; reused while neither the manifest nor a part changed (size, mtime). */
const verified = new Map<string, { readonly stamp: string; readonly result: VerifiedOutput }>();

/**
 * Reads an output manifest and checks every part against it: listed once per partition, present,
 * the same SHA-256 and the same number of rows.
 * @throws DataFormatError naming the part file and the manifest on any mismatch.
 */
export async function readVerifiedOutput(manifestPath: string): Promise<VerifiedOutput> {
  const manifest = await readJsonFile(manifestPath, 'output manifest', partitionedOutputSchema);
  const dir = dirname(manifestPath);
  const ids = manifest.parts.map((p) => p.partition).sort((a, b) => a - b);
  if (ids.length !== manifest.source.partitions || ids.some((id, i) => id !== i)) {
    throw new DataFormatError(`${manifestPath}: expected one part per partition 0…${manifest.source.partitions - 1}, found partitions [${ids.join(', ')}]`);
  }
  const total = manifest.parts.reduce((sum, p) => sum + p.rows, 0);
  if (total !== manifest.rows) throw new DataFormatError(`${manifestPath}: expected its parts' rows to add up to ${manifest.rows}, found ${total}`);
  const listed = manifest.parts.filter((p) => p.file !== null).sort((a, b) => a.partition - b.partition);
  const stamp = await stampOf([manifestPath, ...listed.map((p) => join(dir, p.file!))]);
  const cached = verified.get(manifestPath);
  if (cached !== undefined && stamp !== undefined && cached.stamp === stamp) return cached.result;
  const paths: string[] = [];
  for (const part of listed) {
    const path = join(dir, part.file!);
    const sha256 = await sha256OfFile(path).catch((error: unknown) => {
      throw new DataFormatError(`${path}: part of partition ${part.partition} listed in ${manifestPath} is missing or unreadable`, { cause: error });
    });
    if (sha256 !== part.sha256) {
      throw new DataFormatError(`${path}: expected sha256 ${part.sha256} as ${manifestPath} records, found ${sha256} (the file changed after it was written)`);
    }
    let rows = 0;
    for await (const batch of openRecordBatches(path)) rows += batch.numRows;
    if (rows !== part.rows) throw new DataFormatError(`${path}: expected ${part.rows} rows as ${manifestPath} records, found ${rows}`);
    paths.push(path);
  }
  const result = { manifestPath, manifest, paths };
  if (stamp !== undefined) verified.set(manifestPath, { stamp, result });
  return result;
}

/**
 * The record batches of a keyed table: those of one file, or of every part of a partitioned
 * output (verified first, see {@link readVerifiedOutput}) one part after the other.
 */
export async function* openKeyedBatches(path: string): AsyncGenerator<RecordBatch> {
  const manifestPath = await partitionedOutputManifestPath(path);
  if (manifestPath === undefined) {
    yield* openRecordBatches(path);
    return;
  }
  const { paths } = await readVerifiedOutput(manifestPath);
  for (const part of paths) yield* openRecordBatches(part);
}

/** Size and mtime of every file, as one string; `undefined` when one is missing (then nothing is cached). */
async function stampOf(paths: readonly string[]): Promise<string | undefined> {
  const parts: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) return undefined;
    parts.push(`${path}:${info.size}:${info.mtimeMs}`);
  }
  return parts.join('|');
}

/**
 * Reads the manifest of partitioned output `dir` and checks the part of partition `index` alone
 * (a per-partition job reads one part, not all). Returns `undefined` for a partition without rows.
 * @throws DataFormatError naming the part and the manifest on any mismatch, or the directory when it is not a partitioned output.
 */
export async function verifyOutputPart(dir: string, index: number): Promise<{ readonly manifest: PartitionedOutputManifest; readonly path: string | undefined }> {
  const manifestPath = await partitionedOutputManifestPath(dir);
  if (manifestPath === undefined) throw new DataFormatError(`${dir}: expected a partitioned output (a directory with a ${OUTPUT_MANIFEST} of format ${PARTITIONED_OUTPUT_FORMAT}), found none`);
  const manifest = await readJsonFile(manifestPath, 'output manifest', partitionedOutputSchema);
  const part = manifest.parts.find((p) => p.partition === index);
  if (part === undefined) throw new DataFormatError(`${manifestPath}: expected a part for partition ${index}, found partitions [${manifest.parts.map((p) => p.partition).join(', ')}]`);
  if (part.file === null) return { manifest, path: undefined };
  const path = join(dirname(manifestPath), part.file);
  const sha256 = await sha256OfFile(path).catch((error: unknown) => {
    throw new DataFormatError(`${path}: part of partition ${index} listed in ${manifestPath} is missing or unreadable`, { cause: error });
  });
  if (sha256 !== part.sha256) throw new DataFormatError(`${path}: expected sha256 ${part.sha256} as ${manifestPath} records, found ${sha256} (the file changed after it was written)`);
  return { manifest, path };
}

/**
 * The manifest of a partitioned output (its directory or the manifest itself), parsed but with
 * no part checked: for planning one job per partition.
 * @throws DataFormatError when `path` is not a partitioned output or its manifest is malformed.
 */
export async function readOutputManifest(path: string): Promise<{ readonly manifestPath: string; readonly manifest: PartitionedOutputManifest }> {
  const manifestPath = await partitionedOutputManifestPath(path);
  if (manifestPath === undefined) throw new DataFormatError(`${path}: expected a partitioned output (a directory with a ${OUTPUT_MANIFEST} of format ${PARTITIONED_OUTPUT_FORMAT}), found none`);
  return { manifestPath, manifest: await readJsonFile(manifestPath, 'output manifest', partitionedOutputSchema) };
}
