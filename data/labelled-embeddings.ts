/**
 * Reads what the embedding pictures need: an embeddings Arrow file (id column + `emb_*` float
 * columns) joined with label columns from a targets Arrow file on the client id. Ids are compared
 * as decimal strings so an Int32 id in one file matches an Int64 id in the other.
 */
import { DataType, type RecordBatch, type Vector } from 'apache-arrow';
import { openRecordBatches } from './arrow-source.js';
import { DataFormatError } from '../errors.js';

/** Embedding rows that have labels, in the embedding file's order. */
export interface LabelledEmbeddings {
  /** One row of `width` numbers per client. */
  readonly rows: number[][];
  /** `labels[column][i]` is the label of row `i`, as text (`'0'`, `'1'`, …). */
  readonly labels: Readonly<Record<string, readonly string[]>>;
  /** Embedding width (number of `emb_*` columns). */
  readonly width: number;
  /** Clients in the embedding file without a row in the targets file (left out of `rows`). */
  readonly unlabelled: number;
}

/**
 * Reads an embeddings file and joins the given label columns from the targets file.
 * @throws DataFormatError naming the file and column when a column is missing or has the wrong type.
 */
export async function readLabelledEmbeddings(
  embeddingsPath: string,
  targetsPath: string,
  idColumn: string,
  labelColumns: readonly string[],
): Promise<LabelledEmbeddings> {
  const labelsById = await readLabels(targetsPath, idColumn, labelColumns);
  const rows: number[][] = [];
  const labels: Record<string, string[]> = Object.fromEntries(labelColumns.map((c) => [c, []]));
  let embColumns: string[] | undefined;
  let unlabelled = 0;
  for await (const batch of openRecordBatches(embeddingsPath)) {
    embColumns ??= embeddingColumns(batch, embeddingsPath);
    const ids = idStrings(requireColumn(batch, idColumn, embeddingsPath), idColumn, embeddingsPath);
    const values = embColumns.map((name) => numericColumn(batch, name, embeddingsPath));
    for (let r = 0; r < batch.numRows; r++) {
      const found = labelsById.get(ids[r]!);
      if (!found) {
        unlabelled++;
        continue;
      }
      rows.push(values.map((v) => v[r]!));
      labelColumns.forEach((c, k) => labels[c]!.push(found[k]!));
    }
  }
  if (embColumns === undefined) throw new DataFormatError(`${embeddingsPath}: expected embedding rows, found no record batches`);
  return { rows, labels, width: embColumns.length, unlabelled };
}

async function readLabels(path: string, idColumn: string, columns: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for await (const batch of openRecordBatches(path)) {
    const ids = idStrings(requireColumn(batch, idColumn, path), idColumn, path);
    const cols = columns.map((c) => requireColumn(batch, c, path));
    for (let r = 0; r < batch.numRows; r++) {
      out.set(ids[r]!, cols.map((v) => String(v.get(r))));
    }
  }
  return out;
}

function embeddingColumns(batch: RecordBatch, path: string): string[] {
  const names = batch.schema.fields.map((f) => f.name).filter((n) => n.startsWith('emb_'));
  if (names.length < 2) {
    throw new DataFormatError(`${path}: expected at least 2 \`emb_*\` columns, found ${names.length} (columns: ${batch.schema.fields.map((f) => f.name).join(', ')})`);
  }
  return names;
}

function requireColumn(batch: RecordBatch, name: string, path: string): Vector {
  const column = batch.getChild(name);
  if (!column) {
    throw new DataFormatError(`${path}: column \`${name}\` is missing (columns: ${batch.schema.fields.map((f) => f.name).join(', ')})`);
  }
  return column;
}

function numericColumn(batch: RecordBatch, name: string, path: string): ArrayLike<number> {
  const column = requireColumn(batch, name, path);
  if (!DataType.isFloat(column.type) && !DataType.isInt(column.type)) {
    throw new DataFormatError(`${path}: column \`${name}\`: expected a float or int column, got ${column.type}`);
  }
  if (column.nullCount > 0) throw new DataFormatError(`${path}: column \`${name}\`: expected no nulls, found ${column.nullCount}`);
  const values = column.toArray() as ArrayLike<number | bigint>;
  return typeof values[0] === 'bigint' ? Array.from(values, Number) : (values as ArrayLike<number>);
}

function idStrings(column: Vector, name: string, path: string): string[] {
  if (!DataType.isInt(column.type) && !DataType.isUtf8(column.type) && !DataType.isLargeUtf8(column.type) && !DataType.isFloat(column.type)) {
    throw new DataFormatError(`${path}: id column \`${name}\`: expected an int or string column, got ${column.type}`);
  }
  return Array.from({ length: column.length }, (_, i) => String(column.get(i)));
}
