/**
 * Reads whole small Arrow tables (feature and label files: one row per client) column by
 * column: ids as canonical string keys, numeric columns as Float64 with nulls as NaN.
 */
import { DataType, type Schema, type Vector } from 'apache-arrow';
import { openKeyedBatches } from './partitioned-output.js';
import { copyAsFloat64, isNumberType, isStringType, typeName } from './arrow-columns.js';
import { DataFormatError } from '../errors.js';

/** Schema metadata key (Arrow and Parquet) naming the id column of a keyed table (written by `keyed-sink.ts`). */
export const ID_COLUMN_METADATA_KEY = 'meles.id_column';

/** How ids were typed in their file: numbers (any int/float) or strings. */
export type IdKind = 'number' | 'string';

/** A per-client table as read from one file. */
export interface ColumnTable {
  /** The file it came from (named in messages). */
  readonly path: string;
  /** Canonical id keys: decimal text for numbers (`7`, not `7.0`), the string itself otherwise. */
  readonly keys: readonly string[];
  /** The id column's original kind. */
  readonly idKind: IdKind;
  /** Column names in file order, the id column excluded. */
  readonly names: readonly string[];
  /** Arrow type of each column, for messages. */
  readonly types: readonly DataType[];
  /** Arrow vectors per column, one per record batch (converted on demand by the caller). */
  readonly chunks: readonly Vector[][];
}

/**
 * Reads an Arrow file with an id column into memory; a partitioned output (its directory or its
 * manifest, see partitioned-output.ts) is read as one table, every part verified first.
 * @throws DataFormatError naming the file for a missing id column, null ids or duplicate ids.
 */
export async function readColumnTable(path: string, idColumn: string): Promise<ColumnTable> {
  const keys: string[] = [];
  let schema: Schema | undefined;
  let idAt = -1;
  let chunks: Vector[][] = [];
  for await (const batch of openKeyedBatches(path)) {
    if (schema === undefined) {
      schema = batch.schema;
      idAt = schema.fields.findIndex((f) => f.name === idColumn);
      if (idAt < 0) {
        throw new DataFormatError(`${path}: id column \`${idColumn}\` not found; found columns: ${schema.fields.map((f) => f.name).join(', ')}`);
      }
      const idType = schema.fields[idAt]!.type as DataType;
      if (!isNumberType(idType) && !isStringType(idType)) {
        throw new DataFormatError(`${path}: id column \`${idColumn}\`: expected an integer, float or string column, found ${typeName(idType)}`);
      }
      chunks = schema.fields.map(() => []);
    }
    const idVector = batch.getChildAt(idAt)!;
    for (let i = 0; i < batch.numRows; i++) {
      const value: unknown = idVector.get(i);
      if (value === null || value === undefined) {
        throw new DataFormatError(`${path}: id column \`${idColumn}\`: expected no nulls, found a null at row ${keys.length}`);
      }
      keys.push(String(value));
    }
    for (let j = 0; j < chunks.length; j++) chunks[j]!.push(batch.getChildAt(j)!);
  }
  if (schema === undefined) throw new DataFormatError(`${path}: expected at least one record batch, found none`);
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) throw new DataFormatError(`${path}: id column \`${idColumn}\`: expected one row per client, found id \`${key}\` twice`);
    seen.add(key);
  }
  const idType = schema.fields[idAt]!.type as DataType;
  const keep = schema.fields.map((_, j) => j).filter((j) => j !== idAt);
  return {
    path,
    keys,
    idKind: isNumberType(idType) || (DataType.isDictionary(idType) && isNumberType(idType.dictionary)) ? 'number' : 'string',
    names: keep.map((j) => schema!.fields[j]!.name),
    types: keep.map((j) => schema!.fields[j]!.type as DataType),
    chunks: keep.map((j) => chunks[j]!),
  };
}

/**
 * The id column recorded in a keyed table's schema metadata ({@link ID_COLUMN_METADATA_KEY}), or
 * `undefined` for files written without it (older meles outputs, other tools).
 * Reads only the first record batch.
 */
export async function readRecordedIdColumn(path: string): Promise<string | undefined> {
  for await (const batch of openKeyedBatches(path)) return batch.schema.metadata.get(ID_COLUMN_METADATA_KEY);
  return undefined;
}

/** Whether column `j` of `table` can be a feature (integer or float; not bool, string, date). */
export function isNumericColumn(table: ColumnTable, j: number): boolean {
  return isNumberType(table.types[j]!);
}

/** Column `j` as Float64 values, nulls as NaN. */
export function columnAsFloat64(table: ColumnTable, j: number): Float64Array {
  const out = new Float64Array(table.keys.length);
  let at = 0;
  for (const vector of table.chunks[j]!) {
    for (const data of vector.data) {
      copyAsFloat64(data, out, at);
      at += data.length;
    }
  }
  return out;
}

/** Column `j` as text per row (`null` for nulls): label columns may have any type. */
export function columnAsStrings(table: ColumnTable, j: number): (string | null)[] {
  const out: (string | null)[] = [];
  for (const vector of table.chunks[j]!) {
    for (let i = 0; i < vector.length; i++) {
      const v: unknown = vector.get(i);
      out.push(v === null || v === undefined ? null : String(v));
    }
  }
  return out;
}
