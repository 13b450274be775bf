/**
 * Reused Float32Arrays for the fused recurrent ops' tapes and backward scratch (hundreds of MB per
 * train step at 320 sequences × 100+ events). A fresh large typed array is fresh memory from the
 * OS: every page faults and is zeroed on first write, which measured ~170 ms of system time per
 * GRU layer and train step at L = 100 (a quarter of the layer's CPU time). Released buffers are
 * kept and handed out again, so from the second train step on no page faults.
 *
 * Contents of a taken buffer are undefined (callers overwrite every element). At most
 * {@link POOL_LIMIT} buffers are kept; {@link clearBufferPool} drops them all.
 */

/** How many free buffers are kept at most (a 2-layer bidirectional LSTM has 4 tapes of 4 arrays). */
export const POOL_LIMIT = 24;

const free: Float32Array[] = [];

/**
 * A buffer of `length` values: a view of a free buffer whose capacity is at least `length` and at
 * most twice that, else a new array. Give it back with {@link releaseFloat32} when done.
 */
export function takeFloat32(length: number): Float32Array {
  let best = -1;
  for (let i = 0; i < free.length; i++) {
    const capacity = free[i]!.length;
    if (capacity >= length && capacity <= 2 * length && (best < 0 || capacity < free[best]!.length)) best = i;
  }
  if (best < 0) return new Float32Array(length);
  const [buffer] = free.splice(best, 1);
  return buffer!.length === length ? buffer! : buffer!.subarray(0, length);
}

/** Returns buffers from {@link takeFloat32} to the pool (whole underlying arrays). Use none of them afterwards. */
export function releaseFloat32(...buffers: Float32Array[]): void {
  for (const view of buffers) {
    const whole = view.byteOffset === 0 && view.length * 4 === view.buffer.byteLength ? view : new Float32Array(view.buffer);
    if (free.includes(whole) || free.some((f) => f.buffer === whole.buffer)) continue;
    free.push(whole);
  }
  // Over the limit: drop the smallest (the large ones are the expensive ones to fault in again).
  free.sort((a, b) => b.length - a.length);
  free.length = Math.min(free.length, POOL_LIMIT);
}

/** Drops every pooled buffer (their memory goes back to the garbage collector). */
export function clearBufferPool(): void {
  free.length = 0;
}
