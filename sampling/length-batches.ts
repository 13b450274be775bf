/**
 * Batches of clients with similar sequence lengths, so each batch pads to a length close to its
 * real ones. Used for embedding (`collateTails`), where every client is visited once and the
 * order of batches does not matter; with an `rng`, batch order is shuffled for training use.
 */
import type { Rng } from '../data/random.js';
import type { SequenceSet } from '../data/sequence-set.js';
import { ShapeError } from '../errors.js';
import { expectInteger } from '../options.js';

/**
 * Splits `clients` into batches of at most `batchSize`, grouped by length (each client's events,
 * capped at `maxEvents` as `collateTails` would keep them).
 *
 * @param set - the sequences.
 * @param clients - global client indices to batch.
 * @param batchSize - clients per batch. Minimum: `1`.
 * @param maxEvents - length cap used for grouping. @defaultValue `Infinity`
 * @param rng - if given, the order of the batches is shuffled (contents stay grouped).
 */
export function lengthSortedBatches(
  set: SequenceSet,
  clients: ArrayLike<number>,
  batchSize: number,
  maxEvents = Infinity,
  rng?: Rng,
): Int32Array[] {
  expectInteger('batchSize', batchSize, 1);
  const count = set.offsets.length - 1;
  const length = (c: number): number => Math.min(set.offsets[c + 1]! - set.offsets[c]!, maxEvents);
  const order = Int32Array.from(clients);
  for (let b = 0; b < order.length; b++) {
    const c = order[b]!;
    if (c < 0 || c >= count) throw new ShapeError(`client index ${c} at position ${b} is outside 0..${count - 1}`);
  }
  // Stable: equal lengths keep their input order, so the result is deterministic.
  const sorted = Array.from(order).sort((a, b) => length(b) - length(a));
  const batches: Int32Array[] = [];
  for (let start = 0; start < sorted.length; start += batchSize) batches.push(Int32Array.from(sorted.slice(start, start + batchSize)));
  if (rng !== undefined) rng.shuffle(batches);
  return batches;
}

/** Padded cells (`size × maxLength` minus real events) of collating `batches` as tails of `maxEvents`. */
export function paddingCells(set: SequenceSet, batches: readonly ArrayLike<number>[], maxEvents = Infinity): number {
  let padding = 0;
  for (const batch of batches) {
    let longest = 0;
    let events = 0;
    for (let b = 0; b < batch.length; b++) {
      const c = batch[b]!;
      const l = Math.min(set.offsets[c + 1]! - set.offsets[c]!, maxEvents);
      longest = Math.max(longest, l);
      events += l;
    }
    padding += longest * batch.length - events;
  }
  return padding;
}
