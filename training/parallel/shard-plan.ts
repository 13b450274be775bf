/**
 * How a batch of sequences is split across threads: rows sorted by length (longest first, ties by
 * row) and dealt out in turn, so every shard gets about the same number of events and the same
 * number of recurrent steps (a packed RNN runs as many steps as its longest sequence).
 */
import type { EventBatch } from '../../encoders/packed-batch.js';

/**
 * Splits the rows `0 … lengths.length - 1` into `shards` groups (each in increasing row order);
 * deterministic, so the same batch always gives the same shards. Some groups are empty when there
 * are fewer rows than shards.
 */
export function planShards(lengths: Int32Array, shards: number): Int32Array[] {
  const order = Array.from({ length: lengths.length }, (_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const groups: number[][] = Array.from({ length: shards }, () => []);
  order.forEach((row, i) => groups[i % shards]!.push(row));
  return groups.map((g) => Int32Array.from(g.sort((a, b) => a - b)));
}

/** The padded batch of `rows` of `batch` (in that order), padded only to their own longest. */
export function sliceBatch(batch: EventBatch, rows: Int32Array): EventBatch {
  const lengths = Int32Array.from(rows, (r) => batch.lengths[r]!);
  const maxLength = lengths.reduce((m, l) => Math.max(m, l), 0);
  const copyRows = <T extends Int32Array | Float32Array>(source: T, make: (n: number) => T): T => {
    const out = make(rows.length * maxLength);
    rows.forEach((r, i) => out.set(source.subarray(r * batch.maxLength, r * batch.maxLength + maxLength), i * maxLength));
    return out;
  };
  return {
    size: rows.length,
    maxLength,
    lengths,
    categorical: Object.fromEntries(Object.entries(batch.categorical).map(([name, v]) => [name, copyRows(v, (n) => new Int32Array(n))])),
    numeric: Object.fromEntries(Object.entries(batch.numeric).map(([name, v]) => [name, copyRows(v, (n) => new Float32Array(n))])),
  };
}
