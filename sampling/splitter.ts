/**
 * The splitter contract: how one client's event sequence is cut into views (positives) for
 * MeLES/CoLES. Splitters only see a length (and optionally times), never features, so they are
 * pure index arithmetic and import neither tfjs nor IO.
 */
import type { Rng } from '../data/random.js';

/** Cuts one client's sequence into views. */
export interface Splitter {
  /**
   * Index arrays for each view of one client, relative to the client's first event (0-based),
   * each sorted ascending.
   *
   * @param length - number of events of the client (>= 0).
   * @param rng - seeded generator; the same seed gives the same views on every machine.
   * @param times - the client's event times (length `length`), for time-aware splitters.
   */
  split(length: number, rng: Rng, times?: Float64Array): Int32Array[];
}

/** The contiguous range `[start, start + count)` as an index array. */
export function range(start: number, count: number): Int32Array {
  const out = new Int32Array(Math.max(0, count));
  for (let i = 0; i < out.length; i++) out[i] = start + i;
  return out;
}

/** `copies` full-sequence views of a client with `length` events (each its own array). */
export function fullCopies(length: number, copies: number): Int32Array[] {
  const views: Int32Array[] = [];
  for (let k = 0; k < copies; k++) views.push(range(0, length));
  return views;
}
