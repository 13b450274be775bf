/**
 * The squared-distance matrix of a batch as plain numbers, computed once per embeddings tensor.
 * A MeLES step needs it twice: the hard-negative miner ranks on it and the Euclidean pair path
 * computes the loss from it. tfjs tensors are immutable and each data buffer has its own
 * `dataId` object, so a WeakMap keyed by `dataId` cannot return stale values, and entries go away
 * with the tensor. A reshape shares the `dataId` with another shape, so the shape is checked too.
 */
import type * as tf from '@tensorflow/tfjs';
import { squaredDistances } from './base-distance.js';

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
  const matrix = squaredDistances(x, x);
  const values = matrix.dataSync() as Float32Array;
  matrix.dispose();
  cache.set(key, { rows, cols, values });
  return values;
}
