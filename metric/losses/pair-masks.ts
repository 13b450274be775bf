/**
 * Pairs as dense `n × n` count matrices. Pair losses weight an elementwise function of the
 * pairwise matrix with these counts instead of gathering pair values: same result, and the
 * backward pass is plain elementwise maths plus one matMul (no gather gradient, which the wasm
 * backend lacks, and about as fast at MeLES batch sizes).
 */
import * as tf from '@tensorflow/tfjs';
import type { MinedPairs } from '../mined-indices.js';

/** Count matrices of positive and negative pairs. */
export interface PairMasks {
  /** How often each (row, column) occurs as a positive pair. */
  readonly pos: Float32Array;
  /** How often each (row, column) occurs as a negative pair. */
  readonly neg: Float32Array;
  /** Number of positive pairs (with repeats). */
  readonly posCount: number;
  /** Number of negative pairs (with repeats). */
  readonly negCount: number;
}

/** Counts of each pair in `pairs` for a batch of `size` rows. */
export function pairMasks(pairs: MinedPairs, size: number): PairMasks {
  const pos = new Float32Array(size * size);
  const neg = new Float32Array(size * size);
  for (let i = 0; i < pairs.a1.length; i++) pos[pairs.a1[i]! * size + pairs.p[i]!]! += 1;
  for (let i = 0; i < pairs.a2.length; i++) neg[pairs.a2[i]! * size + pairs.n[i]!]! += 1;
  return { pos, neg, posCount: pairs.a1.length, negCount: pairs.a2.length };
}

/** A 0/1 version of a count matrix (for losses that use each pair once, as PML's mask-based losses). */
export function binarize(counts: Float32Array): Float32Array {
  return counts.map((c) => (c > 0 ? 1 : 0));
}

/** `Σ w·x` as a scalar. */
export function weightedSum(weights: tf.Tensor, x: tf.Tensor): tf.Scalar {
  return tf.sum(tf.mul(weights, x));
}

/**
 * `Σ w·x / #{w > 0 and x > 0}` (PML's AvgNonZero; repeats count once per occurrence), or 0 when
 * nothing is positive. The count is read as a number: it is not differentiable anyway.
 */
export function averageNonZero(weights: tf.Tensor, x: tf.Tensor): tf.Scalar {
  const count = tf.tidy(() => tf.sum(tf.mul(weights, tf.cast(tf.greater(x, 0), 'float32'))).dataSync()[0]!);
  const total = weightedSum(weights, x);
  return count > 0 ? tf.div(total, count) : tf.mul(total, 0);
}
