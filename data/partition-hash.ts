/**
 * Which partition a client belongs to: FNV-1a (32 bit) of the UTF-8 bytes of the id's text form,
 * modulo the number of partitions. The text form is what vocabularies and joins use: decimal for
 * integer ids (`17`, whatever the column's width), JavaScript's `String(x)` for float ids, the
 * string itself for string ids. It depends on nothing but the id, so the same id lands in the same
 * partition on every host, in every run, whatever the file order or batch sizes.
 */

/** The hash function, as recorded in a partition manifest. */
export const PARTITION_HASH = 'fnv1a32(utf8(id text)) mod partitions';

const encoder = new TextEncoder();

/** FNV-1a, 32 bit, of the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  const bytes = encoder.encode(text);
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i]!;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The partition of an id given as text (see the module comment). */
export function partitionOfId(text: string, partitions: number): number {
  return fnv1a32(text) % partitions;
}
