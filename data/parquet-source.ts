/**
 * Reads Parquet files row group by row group through hyparquet and hands each group on as an
 * Arrow record batch, so the event scanner sees one column representation whatever the format:
 * the Parquet schema becomes an Arrow schema (INT32/INT64 with their integer, DATE and
 * TIMESTAMP annotations, FLOAT, DOUBLE, UTF8 strings), and the checks and messages for missing
 * or mistyped columns and null ids/times are the scanner's, exactly as for Arrow files.
 *
 * Only one row group of the requested columns is decoded at a time; the file is read through
 * ranged reads, never whole. Compressed pages: SNAPPY (hyparquet), ZSTD (fzstd), GZIP and
 * BROTLI (node:zlib), LZ4_RAW (lz4js blocks).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import {
  Binary,
  Bool,
  DataType,
  DateDay,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampNanosecond,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  vectorFromArray,
  type Data,
} from 'apache-arrow';
import {
  parquetMetadataAsync,
  parquetRead,
  type AsyncBuffer,
  type Compressors,
  type DecodedArray,
  type FileMetaData,
  type ParquetParsers,
  type SchemaElement,
} from 'hyparquet';
import { decompress as zstdDecompress } from 'fzstd';
import { decompressBlock } from 'lz4js';
import { DataFormatError } from '../errors.js';

/** One row group of a Parquet file, as Arrow. */
export interface ParquetBatch {
  /** Every column of the file, as Arrow types (for schema checks and messages). */
  readonly schema: Schema;
  /** The requested columns that exist, in the file's order, for this row group's rows. */
  readonly batch: RecordBatch;
}

/** Parquet's first and last four bytes. */
export const PARQUET_MAGIC = 'PAR1';

const COMPRESSORS: Compressors = {
  ZSTD: (input, outputLength) => zstdDecompress(input, new Uint8Array(outputLength)),
  GZIP: (input) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(brotliDecompressSync(input)),
  LZ4_RAW: (input, outputLength) => {
    const out = new Uint8Array(outputLength);
    decompressBlock(input, out, 0, input.length, 0);
    return out;
  },
};

// Keep times and dates as the raw integers Parquet stores; the Arrow types below carry the unit.
const RAW_PARSERS: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (v: bigint) => v,
  timestampFromMicroseconds: (v: bigint) => v,
  timestampFromNanoseconds: (v: bigint) => v,
  dateFromDays: (v: number) => v,
};

/**
 * Yields the row groups of a Parquet file as Arrow batches of the `columns` that exist (all
 * columns when not given). A file without row groups yields one empty batch, so its schema is
 * still checked.
 * @throws DataFormatError naming the file when it is not Parquet, is truncated, or uses a codec or encoding that cannot be read.
 */
export async function* openParquetBatches(path: string, columns?: readonly string[]): AsyncGenerator<ParquetBatch> {
  const handle = await wrap(path, () => open(path, 'r'));
  try {
    yield* readGroups(path, await fileBuffer(handle), columns);
  } finally {
    await handle.close();
  }
}

async function* readGroups(path: string, file: AsyncBuffer, columns: readonly string[] | undefined): AsyncGenerator<ParquetBatch> {
  const metadata = await wrap(path, () => parquetMetadataAsync(file, { parsers: RAW_PARSERS }));
  const schema = arrowSchemaOf(metadata);
  const wanted = schema.fields.filter((f) => columns === undefined || columns.includes(f.name));
  const projected = new Schema(wanted);
  if (metadata.row_groups.length === 0) {
    yield { schema, batch: batchOf(projected, 0, wanted.map((f) => emptyData(f.type))) };
    return;
  }
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rows = Number(group.num_rows);
    const rowEnd = rowStart + rows;
    const pieces = new Map<string, { start: number; data: DecodedArray }[]>();
    await wrap(path, () =>
      parquetRead({
        file,
        metadata,
        columns: wanted.map((f) => f.name),
        rowStart,
        rowEnd,
        compressors: COMPRESSORS,
        parsers: RAW_PARSERS,
        onChunk: (chunk) => {
          const list = pieces.get(chunk.columnName) ?? [];
          list.push({ start: chunk.rowStart, data: chunk.columnData });
          pieces.set(chunk.columnName, list);
        },
      }),
    );
    const children = wanted.map((f) => toData(path, f, assemble(path, f.name, pieces.get(f.name) ?? [], rowStart, rows)));
    yield { schema, batch: batchOf(projected, rows, children) };
    rowStart = rowEnd;
  }
}

/** Ranged reads through one open file handle (hyparquet's own opens a stream per read). */
async function fileBuffer(handle: FileHandle): Promise<AsyncBuffer> {
  const { size } = await handle.stat();
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const length = Math.max(0, (end ?? size) - start);
      const out = new Uint8Array(length);
      const { bytesRead } = await handle.read(out, 0, length, start);
      return out.buffer.slice(0, bytesRead);
    },
  };
}

/** `makeData` without its per-type overloads (the types here are only known at run time). */
const dataOf = makeData as unknown as (props: {
  type: DataType;
  length: number;
  data?: ArrayLike<unknown>;
  nullBitmap?: Uint8Array;
  nullCount?: number;
  children?: Data[];
}) => Data;

/** The Arrow schema of a Parquet file's top-level columns. */
export function arrowSchemaOf(metadata: FileMetaData): Schema {
  const fields: Field[] = [];
  const elements = metadata.schema;
  // Element 0 is the root; nested groups are skipped over (their children are not top-level columns).
  for (let i = 1; i < elements.length; ) {
    const element = elements[i]!;
    fields.push(new Field(element.name, arrowTypeOf(element), element.repetition_type !== 'REQUIRED'));
    i += 1 + descendants(elements, i);
  }
  return new Schema(fields);
}

function descendants(elements: readonly SchemaElement[], at: number): number {
  let count = 0;
  for (let k = 0; k < (elements[at]!.num_children ?? 0); k++) count += 1 + descendants(elements, at + 1 + count);
  return count;
}

function arrowTypeOf(element: SchemaElement): DataType {
  const logical = element.logical_type;
  const converted = element.converted_type;
  if (element.num_children !== undefined && element.num_children > 0) return new Struct([]);
  switch (element.type) {
    case 'BOOLEAN':
      return new Bool();
    case 'INT32':
      if (logical?.type === 'DATE' || converted === 'DATE') return new DateDay();
      if (logical?.type === 'INTEGER') return intType(logical.bitWidth, logical.isSigned);
      if (converted === 'INT_8') return new Int8();
      if (converted === 'INT_16') return new Int16();
      if (converted === 'UINT_8') return new Uint8();
      if (converted === 'UINT_16') return new Uint16();
      if (converted === 'UINT_32') return new Uint32();
      return new Int32();
    case 'INT64':
      if (logical?.type === 'TIMESTAMP') return logical.unit === 'MILLIS' ? new TimestampMillisecond() : logical.unit === 'MICROS' ? new TimestampMicrosecond() : new TimestampNanosecond();
      if (converted === 'TIMESTAMP_MILLIS') return new TimestampMillisecond();
      if (converted === 'TIMESTAMP_MICROS') return new TimestampMicrosecond();
      if ((logical?.type === 'INTEGER' && !logical.isSigned) || converted === 'UINT_64') return new Uint64();
      return new Int64();
    case 'FLOAT':
      return new Float32();
    case 'DOUBLE':
      return new Float64();
    case 'BYTE_ARRAY':
      return logical?.type === 'STRING' || logical?.type === 'ENUM' || logical?.type === 'JSON' || converted === 'UTF8' || converted === 'ENUM' || converted === 'JSON'
        ? new Utf8()
        : new Binary();
    default:
      // INT96, FIXED_LEN_BYTE_ARRAY (decimals, UUIDs): no role accepts them; the message shows Binary.
      return new Binary();
  }
}

function intType(bitWidth: number, signed: boolean): DataType {
  if (bitWidth === 8) return signed ? new Int8() : new Uint8();
  if (bitWidth === 16) return signed ? new Int16() : new Uint16();
  if (bitWidth === 32) return signed ? new Int32() : new Uint32();
  return signed ? new Int64() : new Uint64();
}

/** Puts a column's decoded pieces together into exactly the group's rows. */
function assemble(path: string, name: string, pieces: { start: number; data: DecodedArray }[], rowStart: number, rows: number): DecodedArray {
  if (pieces.length === 1 && pieces[0]!.start === rowStart && pieces[0]!.data.length === rows) return pieces[0]!.data;
  const out: unknown[] = new Array<unknown>(rows);
  let filled = 0;
  for (const { start, data } of pieces.sort((a, b) => a.start - b.start)) {
    for (let i = 0; i < data.length; i++) {
      const row = start + i - rowStart;
      if (row >= 0 && row < rows) {
        out[row] = data[i];
        filled++;
      }
    }
  }
  if (filled !== rows) throw new DataFormatError(`${path}: column \`${name}\`: expected ${rows} values in a row group, found ${filled} (corrupt Parquet file)`);
  return out;
}

/** One column of one row group as Arrow data of the field's type, with a validity bitmap for nulls. */
function toData(path: string, field: Field, values: DecodedArray): Data {
  const type = field.type as DataType;
  const n = values.length;
  if (DataType.isUtf8(type) || DataType.isBinary(type) || DataType.isBool(type) || DataType.isStruct(type)) {
    if (DataType.isStruct(type)) throw new DataFormatError(`${path}: column \`${field.name}\`: nested Parquet columns cannot be read`);
    return vectorFromArray(Array.from(values as ArrayLike<unknown>, (v) => v ?? null), type).data[0]!;
  }
  const ArrayType = (type as DataType & { ArrayType: new (n: number) => ArrayLike<number | bigint> }).ArrayType;
  if (values instanceof ArrayType && !(values instanceof Array)) return dataOf({ type, length: n, data: values });
  const data = new ArrayType(n) as unknown as { [i: number]: number | bigint };
  const wide = ArrayType === BigInt64Array || ArrayType === BigUint64Array;
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = (values as ArrayLike<unknown>)[i];
    if (v === null || v === undefined) {
      nulls++;
      data[i] = wide ? 0n : 0;
      continue;
    }
    bitmap[i >> 3]! |= 1 << (i & 7);
    data[i] = wide ? BigInt(v as number | bigint) : Number(v as number | bigint);
  }
  return dataOf({ type, length: n, data: data as ArrayLike<unknown>, ...(nulls > 0 ? { nullBitmap: bitmap, nullCount: nulls } : { nullCount: 0 }) });
}

function emptyData(type: DataType): Data {
  return DataType.isUtf8(type) || DataType.isBinary(type) || DataType.isBool(type) || DataType.isStruct(type)
    ? vectorFromArray([], type).data[0]!
    : dataOf({ type, length: 0, data: new (type as DataType & { ArrayType: new (n: number) => ArrayLike<unknown> }).ArrayType(0) });
}

function batchOf(schema: Schema, rows: number, children: Data[]): RecordBatch {
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children }));
}

/** Runs a hyparquet call and turns its failures into a DataFormatError naming the file. */
async function wrap<T>(path: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof DataFormatError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new DataFormatError(`${path}: expected a readable Parquet file, found an error: ${message}`, { cause: error });
  }
}
