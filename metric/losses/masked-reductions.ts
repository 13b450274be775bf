/**
 * Row-wise reductions over masked entries of a pairwise matrix, stable for large scales
 * (multi-similarity's β = 50, small softmax temperatures): masked-out entries are pushed to a
 * large negative value before `exp`, and each row is shifted by its maximum.
 */
import * as tf from '@tensorflow/tfjs';

/** Stand-in for −∞ that keeps `0 · value` finite. */
const VERY_NEGATIVE = -1e30;

/**
 * `log(1 + Σ_j mask_ij · exp(x_ij))` per row (PML's `logsumexp(..., add_one=True)`); rows with
 * an empty mask give 0. Returns a column `n × 1`.
 */
export function logOnePlusSumExp(x: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const kept = tf.where(tf.greater(mask, 0), x, tf.fill(x.shape, VERY_NEGATIVE));
    // Shift by max(0, row max): the "+1" is exp(0), so 0 joins the maximum.
    const shift = detach(tf.maximum(tf.max(kept, 1, true), 0));
    const sum = tf.add(tf.exp(tf.neg(shift)), tf.sum(tf.mul(mask, tf.exp(tf.sub(kept, shift))), 1, true));
    return tf.add(shift, tf.log(sum)) as tf.Tensor2D;
  });
}

/**
 * A constant copy of `x`: cuts the gradient (tfjs has no stop-gradient op). Used for shifts that
 * cancel mathematically, where a gradient path would only add rounding and broadcasting issues.
 */
export function detach<T extends tf.Tensor>(x: T): T {
  return tf.tensor(x.dataSync(), x.shape, x.dtype) as T;
}
