/**
 * An open-addressing hash table from inline Utf8View/BinaryView entries to codes. A view of a
 * string of at most 12 bytes holds the whole string (length + bytes, zero-padded, as the Arrow
 * format requires), so its four 32-bit words identify the string exactly: equal strings have
 * equal words. Looking those up avoids decoding a JS string per row (Polars writes Utf8View).
 */
export class InlineViewTable {
  // Each slot: 4 words of the view, then code + 1 (0 = empty slot).
  private slots = new Int32Array(5 * 1024);
  private mask = 1023;
  private used = 0;

  /** Code stored for the view `words[at..at+3]`, or -1 when it is not in the table. */
  get(words: Int32Array, at: number): number {
    const w0 = words[at]!;
    const w1 = words[at + 1]!;
    const w2 = words[at + 2]!;
    const w3 = words[at + 3]!;
    let slot = hash(w0, w1, w2, w3) & this.mask;
    const s = this.slots;
    while (true) {
      const base = 5 * slot;
      const stored = s[base + 4]!;
      if (stored === 0) return -1;
      if (s[base] === w0 && s[base + 1] === w1 && s[base + 2] === w2 && s[base + 3] === w3) return stored - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Stores `code` for the view `words[at..at+3]` (which must not be present yet). */
  set(words: Int32Array, at: number, code: number): void {
    if (2 * (this.used + 1) > this.mask + 1) this.grow();
    this.insert(words[at]!, words[at + 1]!, words[at + 2]!, words[at + 3]!, code + 1);
    this.used++;
  }

  private insert(w0: number, w1: number, w2: number, w3: number, stored: number): void {
    let slot = hash(w0, w1, w2, w3) & this.mask;
    while (this.slots[5 * slot + 4] !== 0) slot = (slot + 1) & this.mask;
    const base = 5 * slot;
    this.slots[base] = w0;
    this.slots[base + 1] = w1;
    this.slots[base + 2] = w2;
    this.slots[base + 3] = w3;
    this.slots[base + 4] = stored;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    for (let base = 0; base < old.length; base += 5) {
      if (old[base + 4] !== 0) this.insert(old[base]!, old[base + 1]!, old[base + 2]!, old[base + 3]!, old[base + 4]!);
    }
  }
}

function hash(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ w1 ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ w2 ^ (h >>> 13), 0x85ebca6b);
  h = Math.imul(h ^ w3 ^ (h >>> 16), 0xc2b2ae35);
  return (h ^ (h >>> 15)) >>> 0;
}
