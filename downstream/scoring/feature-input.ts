/**
 * Feature files as a model sees them: which file and column each model input comes from (at fit
 * time), and, at scoring time, a matrix built by column *name* in the fit's order from files that
 * may hold the columns in another order or hold extra ones.
 */
import { DataType } from 'apache-arrow';
import { openKeyedBatches } from '../../data/partitioned-output.js';
import { typeName } from '../../data/arrow-columns.js';
import { columnAsFloat64, isNumericColumn, readColumnTable, type ColumnTable } from '../../data/keyed-table.js';
import type { ClientIds } from '../../data/sequence-set.js';
import { DataFormatError } from '../../errors.js';
import type { FitDescription } from './model-artefact.js';

/** One model input: its joined name and where it came from. */
export type FeatureSource = FitDescription['features'][number];

/** The column names of an Arrow file, read from its first record batch, and the id column's type. */
export async function fileColumns(path: string, idColumn: string): Promise<{ names: string[]; idType: DataType }> {
  for await (const batch of openKeyedBatches(path)) {
    const fields = batch.schema.fields;
    const id = fields.find((f) => f.name === idColumn);
    if (!id) throw new DataFormatError(`${path}: id column \`${idColumn}\` not found; found columns: ${fields.map((f) => f.name).join(', ')}`);
    return { names: fields.filter((f) => f !== id).map((f) => f.name), idType: id.type as DataType };
  }
  throw new DataFormatError(`${path}: expected at least one record batch, found none`);
}

/**
 * Pairs the joined feature names of `readFeatureTable` (file order, column order, later
 * duplicates prefixed) with the file and column each came from.
 */
export function featureSources(joinedNames: readonly string[], columnsPerFile: readonly (readonly string[])[]): FeatureSource[] {
  const sources = columnsPerFile.flatMap((names, file) => names.map((column) => ({ file, column })));
  if (sources.length !== joinedNames.length) {
    throw new DataFormatError(`Expected ${sources.length} feature columns over the files, the joined table has ${joinedNames.length}`);
  }
  return sources.map((s, j) => ({ name: joinedNames[j]!, ...s }));
}

/** The rows to score: inner-joined ids (first file's order), the matrix in the fit's column order. */
export interface ScoringMatrix {
  /** Canonical id per row. */
  readonly keys: readonly string[];
  /** Row-major `keys.length × features.length`, NaN = missing. */
  readonly X: Float64Array;
  /** Ids of the first file dropped because another file lacks them. */
  readonly dropped: number;
}

/**
 * Reads `paths` (one per feature file of the fit, same order) and builds the model's matrix by
 * column name. Extra columns are ignored, whatever their type.
 * @throws DataFormatError naming the column and the file for a missing or non-numeric feature column.
 */
export async function readScoringMatrix(paths: readonly string[], idColumn: string, features: readonly FeatureSource[]): Promise<ScoringMatrix> {
  const tables: ColumnTable[] = [];
  for (const path of paths) tables.push(await readColumnTable(path, idColumn));
  const columns = features.map((f) => {
    const table = tables[f.file]!;
    const j = table.names.indexOf(f.column);
    if (j < 0) {
      throw new DataFormatError(`${table.path}: feature column \`${f.column}\` not found; the model needs it (found columns: ${table.names.join(', ')})`);
    }
    if (!isNumericColumn(table, j)) {
      throw new DataFormatError(`${table.path}: feature column \`${f.column}\`: expected a numeric column (integer or float), found ${typeName(table.types[j]!)}`);
    }
    return { table, values: columnAsFloat64(table, j) };
  });
  let common = new Set(tables[0]!.keys);
  for (const t of tables.slice(1)) {
    const here = new Set(t.keys);
    common = new Set([...common].filter((k) => here.has(k)));
  }
  const keys = tables[0]!.keys.filter((k) => common.has(k));
  const rowOf = new Map(tables.map((t) => [t, new Map(t.keys.map((k, i) => [k, i]))]));
  const cols = features.length;
  const X = new Float64Array(keys.length * cols);
  columns.forEach(({ table, values }, c) => {
    const rows = rowOf.get(table)!;
    keys.forEach((k, r) => {
      X[r * cols + c] = values[rows.get(k)!]!;
    });
  });
  return { keys, X, dropped: tables[0]!.keys.length - keys.length };
}

/** Canonical keys back in the id column's Arrow type (small ints Int32, 64-bit ints BigInt, floats, else text). */
export function idsOfType(keys: readonly string[], type: DataType): ClientIds {
  if (DataType.isInt(type)) {
    if (type.bitWidth < 32 || (type.bitWidth === 32 && type.isSigned)) return { kind: 'int32', values: Int32Array.from(keys, Number) };
    return { kind: 'int64', values: BigInt64Array.from(keys, (k) => BigInt(k)) };
  }
  if (DataType.isFloat(type)) return { kind: 'float64', values: Float64Array.from(keys, Number) };
  return { kind: 'utf8', values: keys };
}
