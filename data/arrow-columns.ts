/**
 * Zero-object access to Arrow column chunks: turns one record batch column (`Data`) into plain
 * typed arrays without creating a JS value per row, and describes Arrow types for messages.
 * 64-bit integers and timestamps are read through an Int32 view of their buffer (hi·2^32 + lo),
 * which is several times faster than converting BigInts one by one.
 */
import { DataType, DateUnit, Precision, TimeUnit, type Data } from 'apache-arrow';

/** The role a column plays, used to pick the accepted types and to word messages. */
export type ColumnRole = 'id' | 'time' | 'categorical' | 'numeric' | 'target';

/** A short, stable name for an Arrow type as users see it in messages (`Int32`, `Utf8View`, `Dictionary<Utf8, Int16>`). */
export function typeName(type: DataType): string {
  return String(type);
}

/** True for the integer and float types. */
export function isNumberType(type: DataType): boolean {
  return DataType.isInt(type) || (DataType.isFloat(type) && type.precision !== Precision.HALF);
}

/** True for every string layout meles reads: Utf8, LargeUtf8, Utf8View and dictionaries of them. */
export function isStringType(type: DataType): boolean {
  if (DataType.isDictionary(type)) return isStringType(type.dictionary) || isNumberType(type.dictionary);
  return DataType.isUtf8(type) || DataType.isLargeUtf8(type) || DataType.isUtf8View(type);
}

/** True for Date and Timestamp columns (converted to milliseconds since the epoch). */
export function isDateTimeType(type: DataType): boolean {
  return DataType.isDate(type) || DataType.isTimestamp(type);
}

/** What each role accepts, for "expected …" in messages. */
export const EXPECTED: Readonly<Record<ColumnRole, string>> = {
  id: 'an integer, float or string column',
  time: 'a numeric, Date or Timestamp column',
  categorical: 'an integer, float, string or dictionary column',
  numeric: 'an integer or float column (Int8..Int64, Uint8..Uint64, Float32, Float64)',
  target: 'an integer, float or string column',
};

/** Whether `type` is acceptable for `role`. */
export function acceptsType(role: ColumnRole, type: DataType): boolean {
  switch (role) {
    case 'time':
      return isNumberType(type) || isDateTimeType(type);
    case 'numeric':
      return isNumberType(type);
    case 'id':
    case 'categorical':
    case 'target':
      return isNumberType(type) || isStringType(type);
  }
}

/** Index of the first null in `data`, or -1. */
export function firstNull(data: Data): number {
  if (data.nullCount === 0 || !data.nullBitmap) return -1;
  for (let i = 0; i < data.length; i++) if (!isValid(data, i)) return i;
  return -1;
}

/** Whether row `i` of `data` is not null (call only when `data.nullCount > 0`). */
export function isValid(data: Data, i: number): boolean {
  const pos = data.offset + i;
  return (data.nullBitmap![pos >> 3]! & (1 << (pos & 7))) !== 0;
}

/** Milliseconds per unit of a Timestamp column. */
function msPerUnit(unit: TimeUnit): number {
  switch (unit) {
    case TimeUnit.SECOND:
      return 1000;
    case TimeUnit.MILLISECOND:
      return 1;
    case TimeUnit.MICROSECOND:
      return 1e-3;
    case TimeUnit.NANOSECOND:
      return 1e-6;
  }
}

/**
 * Copies a numeric, Date or Timestamp chunk into `out` starting at `at` as float64: numbers as
 * they are, Date and Timestamp as milliseconds since the epoch. Nulls come out as NaN.
 */
export function copyAsFloat64(data: Data, out: Float64Array, at: number): void {
  const type = data.type as DataType;
  const n = data.length;
  if (DataType.isDate(type)) {
    if (type.unit === DateUnit.DAY) copyScaled(data.values as Int32Array, n, out, at, 86_400_000);
    else copyInt64(data.values as BigInt64Array, n, out, at, 1, true);
  } else if (DataType.isTimestamp(type)) {
    copyInt64(data.values as BigInt64Array, n, out, at, msPerUnit(type.unit), true);
  } else if (DataType.isInt(type) && type.bitWidth === 64) {
    copyInt64(data.values as BigInt64Array, n, out, at, 1, type.isSigned);
  } else {
    copyScaled(data.values as ArrayLike<number>, n, out, at, 1);
  }
  if (data.nullCount > 0) for (let i = 0; i < n; i++) if (!isValid(data, i)) out[at + i] = NaN;
}

function copyScaled(values: ArrayLike<number>, n: number, out: Float64Array, at: number, scale: number): void {
  if (scale === 1) {
    for (let i = 0; i < n; i++) out[at + i] = values[i]!;
  } else {
    for (let i = 0; i < n; i++) out[at + i] = values[i]! * scale;
  }
}

function copyInt64(values: BigInt64Array, n: number, out: Float64Array, at: number, scale: number, signed: boolean): void {
  const words = new Int32Array(values.buffer, values.byteOffset, n * 2);
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i]! >>> 0;
    const hi = signed ? words[2 * i + 1]! : words[2 * i + 1]! >>> 0;
    out[at + i] = (hi * 4294967296 + lo) * scale;
  }
}
