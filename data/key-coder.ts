/**
 * Assigns dense local codes (0, 1, 2, … in order of first appearance) to the distinct values of
 * a column, chunk by chunk, and counts them. Used for client ids and categorical columns.
 * Per-row work is a typed-array lookup wherever possible:
 * - small-range numbers index a dense table (no Map per row);
 * - dictionary columns remap their dictionary once per batch and then map keys;
 * - short Utf8View strings (<= 12 bytes, stored inline) are looked up by their view words;
 * - other strings (Utf8, LargeUtf8, long Utf8View) go through one Map lookup per row.
 * Nulls get code -1.
 */
import { isUtf8 } from 'node:buffer';
import { DataType, type Data, type Vector } from 'apache-arrow';
import { DataFormatError } from '../errors.js';
import { isValid } from './arrow-columns.js';
import { InlineViewTable } from './view-key-table.js';

/**
 * A string value that is not valid UTF-8. Decoding would silently turn its bytes into U+FFFD, so
 * two different raw ids could become one client; the caller names the file and column.
 */
export class InvalidUtf8Error extends Error {
  /** @param row - row of the offending value within the chunk passed to {@link KeyCoder.code} */
  constructor(readonly row: number) {
    super(`expected valid UTF-8 strings, found invalid bytes at row ${row} of the chunk`);
    this.name = 'InvalidUtf8Error';
  }
}

/** One distinct value as it appeared in the file. */
export type Key = number | bigint | string;

// Dense tables cover at most this many consecutive integers (16 MB of Int32) before the coder
// switches to a Map; client ids 0..10M and category codes fit comfortably.
const MAX_DENSE_SPAN = 1 << 22;

/** Codes the distinct values of one column across many chunks. */
export class KeyCoder {
  /** Distinct values in code order (first appearance). */
  readonly keys: Key[] = [];
  /** Occurrences per code (grows as codes are added). */
  private countsBuffer = new Float64Array(1024);
  private denseLow = 0;
  private dense: Int32Array | null = new Int32Array(0);
  private readonly map = new Map<Key, number>();
  private readonly dictionaryRemaps = new WeakMap<Vector, Int32Array>();
  private scratch = new Float64Array(0);
  private bigintKeys = false;
  private readonly inlineViews = new InlineViewTable();

  /** Number of distinct values seen so far. */
  get size(): number {
    return this.keys.length;
  }

  /** Occurrences of each code, `counts[code]`. */
  counts(): Float64Array {
    return this.countsBuffer.subarray(0, this.keys.length);
  }

  /** The distinct values as strings (`17`, `"a"`), the form vocabularies store. */
  tokens(): string[] {
    return this.keys.map((k) => (typeof k === 'string' ? k : k.toString()));
  }

  /** Codes one chunk; returns one code per row (-1 for null). */
  code(data: Data): Int32Array {
    const type = data.type as DataType;
    const out = new Int32Array(data.length);
    if (DataType.isDictionary(type)) this.codeDictionary(data, out);
    else if (DataType.isUtf8(type) || DataType.isLargeUtf8(type) || DataType.isUtf8View(type)) this.codeStrings(data, out);
    else if (DataType.isInt(type) && type.bitWidth === 64) this.codeInt64(data, out);
    else this.codeNumbers(data, out);
    if (data.nullCount > 0) for (let i = 0; i < out.length; i++) if (!isValid(data, i)) out[i] = -1;
    this.count(out);
    return out;
  }

  private count(codes: Int32Array): void {
    if (this.countsBuffer.length < this.keys.length) {
      const grown = new Float64Array(Math.max(this.keys.length, this.countsBuffer.length * 2));
      grown.set(this.countsBuffer);
      this.countsBuffer = grown;
    }
    const counts = this.countsBuffer;
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]!;
      if (c >= 0) counts[c]!++;
    }
  }

  private add(key: Key): number {
    const code = this.keys.length;
    this.keys.push(key);
    return code;
  }

  private codeKey(key: Key): number {
    const code = this.map.get(key);
    if (code !== undefined) return code;
    const added = this.add(key);
    this.map.set(key, added);
    return added;
  }

  private codeNumbers(data: Data, out: Int32Array): void {
    const values = data.values as ArrayLike<number>;
    this.codeNumberArray(values, data.length, out);
  }

  private codeInt64(data: Data, out: Int32Array): void {
    const n = data.length;
    const values = data.values as BigInt64Array;
    const signed = (data.type as DataType & { isSigned: boolean }).isSigned;
    if (this.scratch.length < n) this.scratch = new Float64Array(n);
    const words = new Int32Array(values.buffer, values.byteOffset, n * 2);
    let safe = true;
    for (let i = 0; i < n; i++) {
      const hi = signed ? words[2 * i + 1]! : words[2 * i + 1]! >>> 0;
      const v = hi * 4294967296 + (words[2 * i]! >>> 0);
      if (v > Number.MAX_SAFE_INTEGER || v < -Number.MAX_SAFE_INTEGER) safe = false;
      this.scratch[i] = v;
    }
    if (safe && !this.bigintKeys) this.codeNumberArray(this.scratch, n, out);
    else {
      // Ids beyond 2^53 (hashes) cannot be numbers without collisions, so from here on this
      // column uses BigInt keys; keys coded so far are converted so equal values still match.
      if (!this.bigintKeys) this.switchToBigintKeys();
      for (let i = 0; i < n; i++) out[i] = this.codeKey(signed ? values[i]! : BigInt.asUintN(64, values[i]!));
    }
  }

  private switchToBigintKeys(): void {
    this.bigintKeys = true;
    this.dense = null;
    this.map.clear();
    for (let code = 0; code < this.keys.length; code++) {
      const key = this.keys[code]!;
      const big = typeof key === 'number' ? BigInt(key) : key;
      this.keys[code] = big;
      this.map.set(big, code);
    }
  }

  private codeNumberArray(values: ArrayLike<number>, n: number, out: Int32Array): void {
    if (this.dense !== null && !this.fitDense(values, n)) this.leaveDense();
    const dense = this.dense;
    if (dense !== null) {
      const low = this.denseLow;
      for (let i = 0; i < n; i++) {
        const slot = values[i]! - low;
        let code = dense[slot]!;
        if (code < 0) {
          code = this.add(values[i]!);
          dense[slot] = code;
        }
        out[i] = code;
      }
      return;
    }
    for (let i = 0; i < n; i++) out[i] = this.codeKey(values[i]!);
  }

  /** Grows the dense table to cover this chunk; false when the values are not small integers. */
  private fitDense(values: ArrayLike<number>, n: number): boolean {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
      if (v !== Math.floor(v)) return false; // also rejects NaN
    }
    if (n === 0) return true;
    const table = this.dense!;
    const low = table.length === 0 ? min : Math.min(min, this.denseLow);
    const high = table.length === 0 ? max : Math.max(max, this.denseLow + table.length - 1);
    if (high - low + 1 > MAX_DENSE_SPAN) return false;
    if (table.length > 0 && low === this.denseLow && high < low + table.length) return true;
    const grown = new Int32Array(high - low + 1).fill(-1);
    if (table.length > 0) grown.set(table, this.denseLow - low);
    this.dense = grown;
    this.denseLow = low;
    return true;
  }

  private leaveDense(): void {
    for (let code = 0; code < this.keys.length; code++) this.map.set(this.keys[code]!, code);
    this.dense = null;
  }

  private codeStrings(data: Data, out: Int32Array): void {
    const n = data.length;
    const type = data.type as DataType;
    if (DataType.isUtf8View(type)) {
      const views = data.values as Uint8Array;
      const ints = new Int32Array(views.buffer, views.byteOffset, n * 4);
      const bytes = Buffer.from(views.buffer, views.byteOffset, views.byteLength);
      const buffers = data.variadicBuffers.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
      for (let i = 0; i < n; i++) {
        const size = ints[4 * i]!;
        // Views of up to 12 bytes hold the string inline: look the view up without decoding.
        if (size <= 12) {
          let code = this.inlineViews.get(ints, 4 * i);
          if (code < 0) {
            // Only a view not seen before is decoded, so only it needs the check.
            if (!isUtf8(bytes.subarray(16 * i + 4, 16 * i + 4 + size))) throw new InvalidUtf8Error(i);
            code = this.codeKey(bytes.toString('utf8', 16 * i + 4, 16 * i + 4 + size));
            this.inlineViews.set(ints, 4 * i, code);
          }
          out[i] = code;
        } else {
          const slice = buffers[ints[4 * i + 2]!]!.subarray(ints[4 * i + 3]!, ints[4 * i + 3]! + size);
          if (!isUtf8(slice)) throw new InvalidUtf8Error(i);
          out[i] = this.codeKey(slice.toString('utf8'));
        }
      }
      return;
    }
    const values = data.values as Uint8Array;
    const offsets = data.valueOffsets as Int32Array | BigInt64Array;
    const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    // One check over the chunk's bytes (simdutf, ~GB/s); only on failure find the row.
    if (n > 0 && !isUtf8(bytes.subarray(Number(offsets[0]!), Number(offsets[n]!)))) {
      for (let i = 0; i < n; i++) {
        if (!isUtf8(bytes.subarray(Number(offsets[i]!), Number(offsets[i + 1]!)))) throw new InvalidUtf8Error(i);
      }
    }
    for (let i = 0; i < n; i++) {
      out[i] = this.codeKey(bytes.toString('utf8', Number(offsets[i]!), Number(offsets[i + 1]!)));
    }
  }

  private codeDictionary(data: Data, out: Int32Array): void {
    const dictionary = data.dictionary!;
    let remap = this.dictionaryRemaps.get(dictionary);
    if (remap === undefined || remap.length < dictionary.length) {
      // Code the dictionary entries themselves (each a string or number), once per dictionary.
      remap = new Int32Array(dictionary.length);
      let at = 0;
      for (const chunk of dictionary.data) {
        const codes = new KeyCoder();
        const local = codes.code(chunk);
        for (let j = 0; j < local.length; j++) remap[at + j] = local[j]! < 0 ? -1 : this.codeKey(codes.keys[local[j]!]!);
        at += local.length;
      }
      this.dictionaryRemaps.set(dictionary, remap);
    }
    const keys = data.values as ArrayLike<number>;
    for (let i = 0; i < out.length; i++) out[i] = remap[keys[i]!]!;
  }
}

/** {@link KeyCoder.code}, with invalid UTF-8 reported against the file, column and file row. */
export function codeNamed(coder: KeyCoder, data: Data, path: string, column: string, rowsBefore: number): Int32Array {
  try {
    return coder.code(data);
  } catch (error) {
    if (!(error instanceof InvalidUtf8Error)) throw error;
    throw new DataFormatError(`${path}: column \`${column}\`: expected valid UTF-8 strings, found invalid bytes at row ${rowsBefore + error.row}`, { cause: error });
  }
}
