/**
 * A bounds-checked reader of FlatBuffers tables (https://flatbuffers.dev/internals), enough to
 * check Arrow IPC metadata (`Message.fbs`, `File.fbs`) before apache-arrow decodes it. apache-arrow
 * trusts every offset and vector length, so damaged metadata can make it read garbage or loop over
 * a vector of 2³² elements; here every offset and length is checked against the bytes there are,
 * and a violation calls `fail` with the absolute byte position (the slice's `base` added).
 */

/** Reports a violation at absolute byte `at`; must throw. */
export type FlatFail = (at: number, expected: string, found: string) => never;

/** One FlatBuffer (a message's metadata or a file footer) held in memory. */
export class FlatView {
  private readonly view: DataView;

  /**
   * @param bytes - the buffer, starting at its root offset.
   * @param base - position of `bytes[0]` in the file, for messages.
   * @param fail - throws the caller's error for a violation.
   */
  constructor(readonly bytes: Uint8Array, private readonly base: number, private readonly fail: FlatFail) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Position of the root table. */
  root(what: string): number {
    return this.follow(0, what);
  }

  /** Position of field `index` of the table at `table`, or undefined when the field is absent. */
  field(table: number, index: number): number | undefined {
    const vtable = table - this.int32(table, 'a vtable offset');
    this.need(vtable, 4, 'a vtable');
    const vtableSize = this.view.getUint16(vtable, true);
    if (vtableSize < 4 || vtableSize % 2 !== 0) this.fail(this.base + vtable, 'a vtable size of at least 4 (even)', String(vtableSize));
    this.need(vtable, vtableSize, 'a vtable');
    const slot = 4 + 2 * index;
    if (slot + 2 > vtableSize) return undefined;
    const offset = this.view.getUint16(vtable + slot, true);
    if (offset === 0) return undefined;
    this.need(table + offset, 1, `field ${index} of a table`);
    return table + offset;
  }

  /** The unsigned byte of field `index`, or `fallback` when absent. */
  uint8(table: number, index: number, fallback: number): number {
    const at = this.field(table, index);
    if (at === undefined) return fallback;
    return this.bytes[at]!;
  }

  /** The little-endian int64 of field `index` as a number (exact up to 2⁵³), or `fallback` when absent. */
  int64(table: number, index: number, fallback: number, what: string): number {
    const at = this.field(table, index);
    if (at === undefined) return fallback;
    this.need(at, 8, what);
    return Number(this.view.getBigInt64(at, true));
  }

  /** The table that field `index` refers to, or undefined when absent. */
  table(table: number, index: number, what: string): number | undefined {
    const at = this.field(table, index);
    return at === undefined ? undefined : this.follow(at, what);
  }

  /** Start and length of the vector that field `index` refers to (elements `elementSize` bytes each), or undefined when absent. */
  vector(table: number, index: number, elementSize: number, what: string): { readonly start: number; readonly length: number } | undefined {
    const at = this.field(table, index);
    if (at === undefined) return undefined;
    const vector = this.reference(at, what);
    this.need(vector, 4, `the length of ${what}`);
    const length = this.view.getUint32(vector, true);
    const room = Math.floor((this.bytes.length - vector - 4) / elementSize);
    if (length > room) this.fail(this.base + vector, `${what} of at most ${room} elements (the bytes left)`, `${length} elements`);
    return { start: vector + 4, length };
  }

  /** The tables a vector of offsets refers to. */
  tables(table: number, index: number, what: string): number[] {
    const vector = this.vector(table, index, 4, what);
    if (vector === undefined) return [];
    return Array.from({ length: vector.length }, (_, i) => this.follow(vector.start + 4 * i, `element ${i} of ${what}`));
  }

  /** Little-endian int32 at `at` (bounds-checked). */
  int32(at: number, what: string): number {
    this.need(at, 4, what);
    return this.view.getInt32(at, true);
  }

  /** Little-endian int64 at `at` as a number (bounds-checked). */
  int64At(at: number, what: string): number {
    this.need(at, 8, what);
    return Number(this.view.getBigInt64(at, true));
  }

  /** A table reference: the uoffset at `at` leads to a table whose vtable must also be inside. */
  private follow(at: number, what: string): number {
    const table = this.reference(at, what);
    this.need(table, 4, what);
    this.field(table, 0); // checks the vtable is inside
    return table;
  }

  private reference(at: number, what: string): number {
    this.need(at, 4, `an offset to ${what}`);
    const target = at + this.view.getUint32(at, true);
    if (target >= this.bytes.length) this.fail(this.base + at, `an offset to ${what} inside the ${this.bytes.length} metadata bytes`, `offset ${target - at}`);
    return target;
  }

  private need(at: number, bytes: number, what: string): void {
    if (at < 0 || at + bytes > this.bytes.length) {
      this.fail(this.base + Math.max(0, Math.min(at, this.bytes.length)), `${what} (${bytes} bytes) inside the ${this.bytes.length} metadata bytes`, `position ${at}`);
    }
  }
}
