/**
 * Column builders for the partitioner: gather chosen rows of Arrow column chunks into growable
 * plain buffers and turn them back into Arrow `Data`. apache-arrow has no `take` kernel, and
 * building through `makeBuilder` costs a JS value per row; these copy typed arrays directly.
 *
 * Every partition file has one schema, so column layouts are normalised once: fixed-width columns
 * (Int*, Uint*, Float32/64, Date, Timestamp) keep their type, every string layout (Utf8,
 * LargeUtf8, Utf8View, dictionaries of strings) becomes Utf8 and a dictionary of numbers becomes
 * its value type. Readers see the same values either way (tokens are text, ids keep their kind).
 */
import { DataType, Utf8, makeData, type Data, type Vector } from 'apache-arrow';
import { isValid } from './arrow-columns.js';

/** A fixed-width typed array of column values (all accepted fixed types have stride 1 in apache-arrow 21). */
type FixedArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;
type FixedArrayConstructor = new (length: number) => FixedArray;

/** The type a source column has in partition files (see the module comment). */
export function partitionTypeOf(type: DataType): DataType {
  if (DataType.isDictionary(type)) return partitionTypeOf(type.dictionary);
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type) || DataType.isUtf8View(type)) return new Utf8();
  return type;
}

/** Bytes one value takes in a partition file (strings: a guess of 16 bytes plus the offset). */
export function estimatedWidth(type: DataType): number {
  if (DataType.isUtf8(type)) return 20;
  const ArrayType = (type as DataType & { ArrayType: FixedArrayConstructor }).ArrayType;
  return new ArrayType(0).BYTES_PER_ELEMENT;
}

/** Gathers rows of one column into a growable buffer of the partition type. */
export class ColumnBuilder {
  /** Rows held. */
  length = 0;
  private nulls = 0;
  private validity: Uint8Array | null = null;
  private fixed: FixedArray | null = null;
  private offsets: Int32Array | null = null;
  private bytes: Uint8Array | null = null;
  private byteLength = 0;
  private readonly dictionaries = new WeakMap<Vector, readonly Uint8Array[] | FixedArray>();

  /** @param capacity - rows to allocate up front (grows by doubling). */
  constructor(
    readonly type: DataType,
    private capacity: number,
  ) {
    if (DataType.isUtf8(type)) {
      this.offsets = new Int32Array(capacity + 1);
      this.bytes = new Uint8Array(Math.max(64, capacity * 16));
    } else {
      this.fixed = new (type as DataType & { ArrayType: FixedArrayConstructor }).ArrayType(capacity);
    }
  }

  /** Bytes the buffers take now (for memory accounting). */
  get allocatedBytes(): number {
    return (this.fixed?.byteLength ?? 0) + (this.offsets?.byteLength ?? 0) + (this.bytes?.byteLength ?? 0) + (this.validity?.byteLength ?? 0);
  }

  /** Appends rows `rows[from..to)` of `data` (a chunk of the source type). */
  gather(data: Data, rows: Int32Array, from = 0, to = rows.length): void {
    const n = to - from;
    this.reserve(this.length + n);
    const at = this.length;
    const type = data.type as DataType;
    if (this.fixed !== null) this.gatherFixed(data, rows, from, to);
    else if (DataType.isDictionary(type)) this.gatherDictionaryStrings(data, rows, from, to);
    else if (DataType.isUtf8View(type)) this.gatherViews(data, rows, from, to);
    else this.gatherStrings(data, rows, from, to);
    if (data.nullCount > 0) {
      for (let j = 0; j < n; j++) if (!isValid(data, rows[from + j]!)) this.setNull(at + j);
    }
    this.length += n;
  }

  /** The rows held so far as Arrow data (views of this builder's buffers: serialise before {@link reset}). */
  finish(): Data {
    const length = this.length;
    const nullBitmap = this.nulls > 0 ? this.validity!.subarray(0, (length + 7) >> 3) : undefined;
    const common = { length, nullCount: this.nulls, ...(nullBitmap ? { nullBitmap } : {}) };
    if (this.fixed !== null) return makeData({ type: this.type, data: this.fixed.subarray(0, length), ...common } as Parameters<typeof makeData>[0]);
    return makeData({ type: new Utf8(), valueOffsets: this.offsets!.subarray(0, length + 1), data: this.bytes!.subarray(0, this.byteLength), ...common });
  }

  /** Empties the builder, keeping its buffers for the next rows. */
  reset(): void {
    this.length = 0;
    this.byteLength = 0;
    if (this.nulls > 0) this.validity!.fill(0xff);
    this.nulls = 0;
  }

  private reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const capacity = Math.max(rows, this.capacity * 2);
    if (this.fixed !== null) {
      const grown = new (this.fixed.constructor as FixedArrayConstructor)(capacity);
      (grown as { set(a: ArrayLike<unknown>): void }).set(this.fixed);
      this.fixed = grown;
    } else {
      const grown = new Int32Array(capacity + 1);
      grown.set(this.offsets!);
      this.offsets = grown;
    }
    if (this.validity !== null) {
      const grown = new Uint8Array((capacity + 7) >> 3).fill(0xff);
      grown.set(this.validity);
      this.validity = grown;
    }
    this.capacity = capacity;
  }

  private setNull(row: number): void {
    this.validity ??= new Uint8Array((this.capacity + 7) >> 3).fill(0xff);
    this.validity[row >> 3]! &= ~(1 << (row & 7));
    this.nulls++;
  }

  private gatherFixed(data: Data, rows: Int32Array, from: number, to: number): void {
    const out = this.fixed as { [i: number]: number | bigint };
    const at = this.length - from;
    if (DataType.isDictionary(data.type as DataType)) {
      const dict = this.dictionaryOf(data) as { [i: number]: number | bigint };
      const keys = data.values as ArrayLike<number>;
      for (let j = from; j < to; j++) out[at + j] = dict[keys[rows[j]!]!]!;
      return;
    }
    const values = data.values as unknown as { [i: number]: number | bigint };
    for (let j = from; j < to; j++) out[at + j] = values[rows[j]!]!;
  }

  private appendBytes(source: Uint8Array, start: number, end: number): void {
    const size = end - start;
    if (this.byteLength + size > this.bytes!.length) {
      const grown = new Uint8Array(Math.max(this.byteLength + size, this.bytes!.length * 2));
      grown.set(this.bytes!.subarray(0, this.byteLength));
      this.bytes = grown;
    }
    this.bytes!.set(source.subarray(start, end), this.byteLength);
    this.byteLength += size;
  }

  private gatherStrings(data: Data, rows: Int32Array, from: number, to: number): void {
    const values = data.values as Uint8Array;
    const offsets = data.valueOffsets as Int32Array | BigInt64Array;
    const out = this.offsets!;
    let row = this.length;
    for (let j = from; j < to; j++) {
      const r = rows[j]!;
      this.appendBytes(values, Number(offsets[r]!), Number(offsets[r + 1]!));
      out[++row] = this.byteLength;
    }
  }

  private gatherViews(data: Data, rows: Int32Array, from: number, to: number): void {
    const views = data.values as Uint8Array;
    const ints = new Int32Array(views.buffer, views.byteOffset, views.byteLength >> 2);
    const buffers = data.variadicBuffers;
    const out = this.offsets!;
    let row = this.length;
    for (let j = from; j < to; j++) {
      const r = rows[j]!;
      const size = ints[4 * r]!;
      // Views of up to 12 bytes hold the string inline, longer ones point into a data buffer.
      if (size <= 12) this.appendBytes(views, 16 * r + 4, 16 * r + 4 + size);
      else this.appendBytes(buffers[ints[4 * r + 2]!]!, ints[4 * r + 3]!, ints[4 * r + 3]! + size);
      out[++row] = this.byteLength;
    }
  }

  private gatherDictionaryStrings(data: Data, rows: Int32Array, from: number, to: number): void {
    const entries = this.dictionaryOf(data) as readonly Uint8Array[];
    const keys = data.values as ArrayLike<number>;
    const out = this.offsets!;
    let row = this.length;
    for (let j = from; j < to; j++) {
      const entry = entries[keys[rows[j]!]!]!;
      this.appendBytes(entry, 0, entry.length);
      out[++row] = this.byteLength;
    }
  }

  /** A chunk's dictionary decoded once: UTF-8 bytes per entry for strings, a typed array for numbers. */
  private dictionaryOf(data: Data): readonly Uint8Array[] | FixedArray {
    const dictionary = data.dictionary!;
    let decoded = this.dictionaries.get(dictionary);
    if (decoded === undefined) {
      if (this.fixed !== null) decoded = dictionary.toArray() as FixedArray;
      else {
        const encoder = new TextEncoder();
        decoded = Array.from({ length: dictionary.length }, (_, i) => encoder.encode(String(dictionary.get(i) ?? '')));
      }
      this.dictionaries.set(dictionary, decoded);
    }
    return decoded;
  }
}
