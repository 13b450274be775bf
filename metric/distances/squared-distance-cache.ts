/**
 * The squared-distance matrix of a batch as plain numbers, computed once per embeddings tensor.
 * A MeLES step needs it twice: the hard-negative miner ranks on it and the Euclidean pair path
 * computes the loss from it. tfjs tensors are immutable and each data buffer has its own
 * `dataId` object, so a WeakMap keyed by `dataId` cannot return stale values, and entries go away
 * with the tensor. A reshape shares the `dataId` with another shape, so the shape is checked too.
 */
import type * as tf from '@tensorflow/tfjs';
import { matMulTransposed } from './base-distance.js';

interface Entry {
  readonly rows: number;
  readonly cols: number;
  readonly values: Float32Array;
}

const cache = new WeakMap<object, Entry>();

/** Row-major `n × n` squared Euclidean distances between the rows of `x` (read-only: shared). */
export function squaredDistanceValues(x: tf.Tensor2D): Float32Array {
  const key = x.dataId as object;
  const [rows, cols] = x.shape;
  const hit = cache.get(key);
  if (hit !== undefined && hit.rows === rows && hit.cols === cols) return hit.values;
  // Only the Gram matrix comes from a kernel; norms and the combination are one JS pass, which
  // saves five n × n kernels (and their heap copies) over `squaredDistances`.
  const gram = matMulTransposed(x, x);
  // A private copy, edited below: backends may hand out their own buffer from dataSync (cpu does).
  const values = new Float32Array(gram.dataSync());
  gram.dispose();
  const data = x.dataSync();
  const norms = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let c = i * cols; c < (i + 1) * cols; c++) sum += data[c]! * data[c]!;
    norms[i] = sum;
  }
  // Clamped at 0 against rounding, like `squaredDistances`; the diagonal is exactly 0. One row at
  // a time through a subarray, with the diagonal written after the row (no branch per entry): the
  // same values, ~3x faster than indexing the whole matrix (this loop runs n² times per batch).
  for (let i = 0; i < rows; i++) {
    const row = values.subarray(i * rows, (i + 1) * rows);
    const ni = norms[i]!;
    for (let j = 0; j < rows; j++) {
      row[j] = Math.max(ni + norms[j]! - 2 * row[j]!, 0);
    }
    row[i] = 0;
  }
  cache.set(key, { rows, cols, values });
  return values;
}
