/**
 * The packed layout shared by the whole-sequence GRU and LSTM (gru-sequence.ts, lstm-sequence.ts),
 * as PyTorch's PackedSequence: sequences sorted longest first, step `t` holds the first
 * `batchSizes[t]` sequences, packed row `offsets[t] + i`.
 */

/** Shapes of one packed recurrent run. */
export interface PackedGeometry {
  /** Number of sequences. */
  readonly size: number;
  /** Hidden size H. */
  readonly hidden: number;
  /** Running sequences per step (non-increasing, first = size). */
  readonly batchSizes: readonly number[];
  /** First packed row of each step, length steps + 1. */
  readonly offsets: Int32Array;
}

/** Builds the packed offsets from batch sizes. */
export function packedOffsets(batchSizes: readonly number[]): Int32Array {
  const offsets = new Int32Array(batchSizes.length + 1);
  batchSizes.forEach((b, t) => (offsets[t + 1] = offsets[t] + b));
  return offsets;
}

/** Number of packed rows (events) of a run: the last offset. */
export function packedEvents(geometry: PackedGeometry): number {
  return geometry.offsets[geometry.batchSizes.length];
}

/**
 * The running state `[size, H]` at the first step: a copy of the initial state's first `size · H`
 * values, written into `into` when given (the op's output buffer), else into a new array.
 */
export function initialState(geometry: PackedGeometry, initial: Float32Array, into?: Float32Array): Float32Array {
  const length = geometry.size * geometry.hidden;
  const state = into ?? new Float32Array(length);
  state.set(initial.subarray(0, length));
  return state;
}

/** The gradient a backward pass starts from: of the final states or of the per-event outputs (the other is null). */
export interface PackedUpstream {
  /** Gradient of the final states `[size, H]`, or null when the op returned the per-event outputs. */
  readonly final: Float32Array | null;
  /** Gradient of the per-event outputs `[events, H]`, or null when the op returned the final states. */
  readonly outputs: Float32Array | null;
}

/**
 * Starts the backward state gradient `dState` (`[size, H]`, row i: dL/dh of sequence i): the final
 * states' gradient, or zeros. A sequence that ends at step t keeps this row until the backward
 * loop reaches t; a longer one gets the dh_prev of step t + 1 there instead.
 */
export function startStateGradient(geometry: PackedGeometry, upstream: PackedUpstream, dState: Float32Array): void {
  if (upstream.final === null) dState.fill(0);
  else dState.set(upstream.final.subarray(0, geometry.size * geometry.hidden));
}

/** Adds the per-event outputs' gradient of step `t` (when there is one) to the running rows of `dState`. */
export function addOutputGradient(geometry: PackedGeometry, upstream: PackedUpstream, t: number, dState: Float32Array): void {
  const { outputs } = upstream;
  if (outputs === null) return;
  const { hidden: H, batchSizes, offsets } = geometry;
  for (let k = 0, o = offsets[t] * H; k < batchSizes[t] * H; k++, o++) dState[k] += outputs[o];
}
