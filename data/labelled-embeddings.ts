/**
 * Reads what the embedding pictures need: an embeddings Arrow file (id column + `emb_*` float
 * columns) joined with label columns from a targets Arrow file on the client id. Both files are read
 * by the keyed-table reader, so ids are compared by their canonical text (an Int32 id in one file
 * matches an Int64 id in the other) and null or repeated ids are errors.
 */
import { DataFormatError } from '../errors.js';
import { typeName } from './arrow-columns.js';
import { columnAsFloat64, columnAsStrings, isNumericColumn, readColumnTable, type ColumnTable } from './keyed-table.js';

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
 * @throws DataFormatError naming the file and column when a column is missing or has the wrong
 *   type, an embedding column has nulls, or an id is null or repeated.
 */
export async function readLabelledEmbeddings(
  embeddingsPath: string,
  targetsPath: string,
  idColumn: string,
  labelColumns: readonly string[],
): Promise<LabelledEmbeddings> {
  const targets = await readColumnTable(targetsPath, idColumn);
  const labelValues = labelColumns.map((name) => columnAsStrings(targets, requireColumn(targets, name)));
  const rowOf = new Map(targets.keys.map((key, i) => [key, i]));

  const embeddings = await readColumnTable(embeddingsPath, idColumn);
  const embColumns = embeddingColumns(embeddings);
  const values = embColumns.map((j) => columnAsFloat64(embeddings, j));
  const rows: number[][] = [];
  const labels: Record<string, string[]> = Object.fromEntries(labelColumns.map((c) => [c, []]));
  let unlabelled = 0;
  embeddings.keys.forEach((key, r) => {
    const at = rowOf.get(key);
    if (at === undefined) {
      unlabelled++;
      return;
    }
    rows.push(values.map((v) => v[r]!));
    // A null label shows as the text `null`, its own colour in the pictures.
    labelColumns.forEach((c, k) => labels[c]!.push(labelValues[k]![at] ?? 'null'));
  });
  return { rows, labels, width: embColumns.length, unlabelled };
}

function requireColumn(table: ColumnTable, name: string): number {
  const j = table.names.indexOf(name);
  if (j < 0) throw new DataFormatError(`${table.path}: column \`${name}\` not found; found columns: ${table.names.join(', ')}`);
  return j;
}

/** Positions of the `emb_*` columns: numeric and without nulls. */
function embeddingColumns(table: ColumnTable): number[] {
  const columns = table.names.flatMap((name, j) => (name.startsWith('emb_') ? [j] : []));
  if (columns.length < 2) {
    throw new DataFormatError(`${table.path}: expected at least 2 \`emb_*\` columns, found ${columns.length} (columns: ${table.names.join(', ')})`);
  }
  for (const j of columns) {
    const name = table.names[j]!;
    if (!isNumericColumn(table, j)) throw new DataFormatError(`${table.path}: column \`${name}\`: expected a float or int column, found ${typeName(table.types[j]!)}`);
    const nulls = table.chunks[j]!.reduce((n, v) => n + v.nullCount, 0);
    if (nulls > 0) throw new DataFormatError(`${table.path}: column \`${name}\`: expected no nulls, found ${nulls}`);
  }
  return columns;
}
