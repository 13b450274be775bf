/**
 * Writes the manifest of a partitioned output (see partitioned-output.ts) once every part exists:
 * each part is described from the file itself (rows, bytes, SHA-256, id column type, recorded
 * model), so the manifest says what is on disk, whoever wrote the parts and however often a part
 * job was retried. Parts must agree on their columns and model; an input partition with no rows
 * has no part.
 */
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataType, Schema } from 'apache-arrow';
import { DataFormatError } from '../errors.js';
import { openRecordBatches } from './arrow-source.js';
import { isNumberType } from './arrow-columns.js';
import { ID_COLUMN_METADATA_KEY } from './keyed-table.js';
import { writeAtomically } from './atomic-write.js';
import { MODEL_SHA256_METADATA_KEY, MODEL_VERSION_METADATA_KEY, SCORING_MODEL_SHA256_METADATA_KEY } from './embedding-sink.js';
import { readOptionalJsonFile } from './json-file.js';
import { sha256OfFile } from './partition-manifest.js';
import {
  OUTPUT_MANIFEST,
  outputPartFile,
  PARTITIONED_OUTPUT_FORMAT,
  PARTITIONED_OUTPUT_VERSION,
  partitionedOutputSchema,
  type OutputPart,
  type PartitionedOutputKind,
  type PartitionedOutputManifest,
} from './partitioned-output.js';

/** What {@link writeOutputManifest} needs besides the parts on disk. */
export interface OutputManifestInput {
  /** Directory holding the parts; the manifest is written there. */
  readonly dir: string;
  readonly kind: PartitionedOutputKind;
  /** The submission (a manifest of another run in `dir` is never replaced). */
  readonly runId: string;
  /** The source dataset's manifest SHA-256. */
  readonly sourceManifestSha256: string;
  /** Rows of every input partition, by partition index (0 rows: no part expected). */
  readonly inputRows: readonly number[];
}

/** One part as found on disk, with what the manifest records besides. */
interface DescribedPart {
  readonly part: OutputPart;
  readonly schema: Schema;
}

/**
 * Describes every expected part and writes `manifest.json` atomically.
 * @throws DataFormatError naming the part file when it is missing, lacks the id column or
 *   disagrees with the first part (columns, model), or naming the manifest when it belongs to another run.
 */
export async function writeOutputManifest(input: OutputManifestInput): Promise<PartitionedOutputManifest> {
  const manifestPath = join(input.dir, OUTPUT_MANIFEST);
  const existing = await readOptionalJsonFile(manifestPath, 'output manifest', partitionedOutputSchema);
  if (existing !== undefined && existing.runId !== input.runId) {
    throw new DataFormatError(`${manifestPath}: already holds the output of run ${existing.runId}; refusing to replace it with run ${input.runId}'s (choose another output directory)`);
  }
  const described: DescribedPart[] = [];
  const parts: OutputPart[] = [];
  for (const [partition, rows] of input.inputRows.entries()) {
    if (rows === 0) {
      parts.push({ partition, file: null, rows: 0, bytes: 0, sha256: null });
      continue;
    }
    const one = await describePart(input.dir, partition);
    described.push(one);
    parts.push(one.part);
  }
  const first = described[0];
  if (first === undefined) throw new DataFormatError(`${input.dir}: expected at least one input partition with rows, found ${input.inputRows.length} empty ones`);
  const idColumn = idColumnOf(first, input.dir);
  for (const other of described.slice(1)) expectSameLayout(first!, other, input.dir);
  const model = recordedModel(first.schema);
  const manifest: PartitionedOutputManifest = {
    format: PARTITIONED_OUTPUT_FORMAT,
    formatVersion: PARTITIONED_OUTPUT_VERSION,
    kind: input.kind,
    runId: input.runId,
    source: { partitions: input.inputRows.length, manifestSha256: input.sourceManifestSha256 },
    idColumn,
    model,
    rows: parts.reduce((sum, p) => sum + p.rows, 0),
    parts,
  };
  await writeAtomically(manifestPath, (tmp) => writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`));
  return manifest;
}

async function describePart(dir: string, partition: number): Promise<DescribedPart> {
  const file = outputPartFile(partition);
  const path = join(dir, file);
  let schema: Schema | undefined;
  let rows = 0;
  let bytes = 0;
  try {
    for await (const batch of openRecordBatches(path)) {
      schema ??= batch.schema;
      rows += batch.numRows;
    }
    bytes = (await stat(path)).size;
  } catch (error) {
    throw new DataFormatError(`${path}: expected the output part of partition ${partition}, found it missing or unreadable (${(error as Error).message})`, { cause: error });
  }
  if (schema === undefined) throw new DataFormatError(`${path}: expected at least one record batch, found none`);
  return { part: { partition, file, rows, bytes, sha256: await sha256OfFile(path) }, schema };
}

/** The id column the first part records in its metadata (every keyed sink records it), with its type. */
function idColumnOf(first: DescribedPart, dir: string): PartitionedOutputManifest['idColumn'] {
  const path = join(dir, first.part.file!);
  const name = first.schema.metadata.get(ID_COLUMN_METADATA_KEY);
  const field = first.schema.fields.find((f) => f.name === name);
  if (name === undefined || field === undefined) {
    throw new DataFormatError(`${path}: expected the id column named in its \`${ID_COLUMN_METADATA_KEY}\` metadata, found ${name === undefined ? 'no such metadata' : `\`${name}\` missing from the columns`}`);
  }
  const type = field.type as DataType;
  return { name: field.name, type: String(type), kind: isNumberType(type) ? 'number' : 'string' };
}

function expectSameLayout(first: DescribedPart, other: DescribedPart, dir: string): void {
  const layout = (d: DescribedPart): string => `${d.schema.fields.map((f) => `${f.name}: ${String(f.type)}`).join(', ')} (id ${d.schema.metadata.get(ID_COLUMN_METADATA_KEY) ?? 'none'})`;
  const path = join(dir, other.part.file!);
  if (layout(first) !== layout(other)) {
    throw new DataFormatError(`${path}: expected the columns of ${first.part.file} (${layout(first)}), found ${layout(other)}`);
  }
  const [a, b] = [recordedModel(first.schema), recordedModel(other.schema)];
  if (a?.sha256 !== b?.sha256) {
    throw new DataFormatError(`${path}: expected the model of ${first.part.file} (model sha256 ${a?.sha256 ?? 'none'}), found ${b?.sha256 ?? 'none'}`);
  }
}

/** The embedding model (fingerprint, registry version) or, for predictions, the scoring model's `model.txt` SHA-256 (no version). */
function recordedModel(schema: Schema): PartitionedOutputManifest['model'] {
  const sha256 = schema.metadata.get(MODEL_SHA256_METADATA_KEY);
  if (sha256 !== undefined) return { sha256, version: schema.metadata.get(MODEL_VERSION_METADATA_KEY) ?? null };
  const scoring = schema.metadata.get(SCORING_MODEL_SHA256_METADATA_KEY);
  return scoring === undefined ? null : { sha256: scoring, version: null };
}
