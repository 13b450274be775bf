/**
 * Collation: turns the views of a batch of clients into padded, row-major typed arrays plus
 * lengths and labels, in the pytorch-lifestream order (client-major: all views of the first
 * client, then the second, ...). The only layout encoders see; it knows nothing of tensors.
 */
import type { Rng } from '../data/random.js';
import type { SequenceSet } from '../data/sequence-set.js';
import { ShapeError } from '../errors.js';
import type { Splitter } from './splitter.js';

/** A batch of views, right zero-padded to `maxLength`. */
export interface ViewBatch {
  /** Number of views (rows). */
  size: number;
  /** Longest view; row stride of every feature array. */
  maxLength: number;
  /** Events per view (`size`). */
  lengths: Int32Array;
  /** Vocabulary indices per categorical column, `size × maxLength`, 0 in padding. */
  categorical: Record<string, Int32Array>;
  /** Numeric columns, `size × maxLength`, 0 in padding. */
  numeric: Record<string, Float32Array>;
  /** The client's position within this batch: views with equal labels are positives. */
  labels: Int32Array;
  /** The global client index (into the {@link SequenceSet}) of each view. */
  clients: Int32Array;
}

/** Options of {@link collateViews}. */
export interface CollateOptions {
  /**
   * Order views by length, longest first (labels and clients move with them), so an encoder can
   * shrink its active rows step by step instead of running over padding. Off keeps client-major order.
   * @defaultValue `false`
   */
  readonly bucketByLength?: boolean;
}

/**
 * Splits each client of `clients` with `splitter` and collates all views.
 *
 * @param set - the sequences.
 * @param clients - global client indices forming this batch (label = position in this list).
 * @param splitter - how each client becomes views.
 * @param rng - seeded generator; clients are split in order, so equal seeds give equal batches.
 */
export function collateViews(
  set: SequenceSet,
  clients: ArrayLike<number>,
  splitter: Splitter,
  rng: Rng,
  options: CollateOptions = {},
): ViewBatch {
  const starts: number[] = [];
  const indices: Int32Array[] = [];
  const labels: number[] = [];
  const globals: number[] = [];
  for (let b = 0; b < clients.length; b++) {
    const c = clients[b]!;
    const { start, length } = clientSpan(set, c, b);
    const views = splitter.split(length, rng, set.times.subarray(start, start + length));
    for (const view of views) {
      starts.push(start);
      indices.push(view);
      labels.push(b);
      globals.push(c);
    }
  }
  let order = indices.map((_, v) => v);
  // Stable sort keeps client-major order among views of equal length.
  if (options.bucketByLength === true) order = order.sort((x, y) => indices[y]!.length - indices[x]!.length);
  return gatherViews(
    set,
    order.map((v) => starts[v]!),
    order.map((v) => indices[v]!),
    Int32Array.from(order, (v) => labels[v]!),
    Int32Array.from(order, (v) => globals[v]!),
  );
}

/**
 * One view per client: its last `maxEvents` events (the whole sequence if shorter), no split.
 * Used for embedding, where pytorch-lifestream keeps each client's most recent events.
 */
export function collateTails(set: SequenceSet, clients: ArrayLike<number>, maxEvents: number): ViewBatch {
  if (!Number.isInteger(maxEvents) || maxEvents < 1) {
    throw new ShapeError(`Expected \`maxEvents\` to be an integer >= 1, got \`${maxEvents}\` (${typeof maxEvents})`);
  }
  const starts: number[] = [];
  const indices: Int32Array[] = [];
  for (let b = 0; b < clients.length; b++) {
    const c = clients[b]!;
    const { start, length } = clientSpan(set, c, b);
    const keep = Math.min(length, maxEvents);
    const view = new Int32Array(keep);
    for (let i = 0; i < keep; i++) view[i] = length - keep + i;
    starts.push(start);
    indices.push(view);
  }
  return gatherViews(
    set,
    starts,
    indices,
    Int32Array.from(indices, (_, b) => b),
    Int32Array.from(clients),
  );
}

/** Copies the events of each view into padded row-major arrays. */
function gatherViews(
  set: SequenceSet,
  starts: readonly number[],
  indices: readonly Int32Array[],
  labels: Int32Array,
  clients: Int32Array,
): ViewBatch {
  const size = indices.length;
  const lengths = Int32Array.from(indices, (view) => view.length);
  let maxLength = 0;
  for (const length of lengths) maxLength = Math.max(maxLength, length);
  const categorical: Record<string, Int32Array> = {};
  for (const [name, column] of Object.entries(set.categorical)) {
    categorical[name] = fill(new Int32Array(size * maxLength), column, starts, indices, maxLength);
  }
  const numeric: Record<string, Float32Array> = {};
  for (const [name, column] of Object.entries(set.numeric)) {
    numeric[name] = fill(new Float32Array(size * maxLength), column, starts, indices, maxLength);
  }
  return { size, maxLength, lengths, categorical, numeric, labels, clients };
}

function fill<T extends Int32Array | Float32Array>(
  out: T,
  column: T,
  starts: readonly number[],
  indices: readonly Int32Array[],
  stride: number,
): T {
  for (let v = 0; v < indices.length; v++) {
    const view = indices[v]!;
    const base = starts[v]!;
    const row = v * stride;
    for (let i = 0; i < view.length; i++) out[row + i] = column[base + view[i]!]!;
  }
  return out;
}

/** Where client `c` (at batch position `b`) sits in the set; a bad index is a programming error. */
function clientSpan(set: SequenceSet, c: number, b: number): { start: number; length: number } {
  const count = set.offsets.length - 1;
  if (!Number.isInteger(c) || c < 0 || c >= count) {
    throw new ShapeError(`client index ${c} at batch position ${b} is outside 0..${count - 1}`);
  }
  const start = set.offsets[c]!;
  return { start, length: set.offsets[c + 1]! - start };
}
