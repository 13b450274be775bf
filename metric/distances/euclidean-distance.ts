/** Euclidean (L2) distance; pytorch-lifestream's `F.pairwise_distance` and PML's `LpDistance()`. */
import * as tf from '@tensorflow/tfjs';
import { BaseDistance, SQRT_EPS, squaredDistances } from './base-distance.js';
import { squaredDistanceValues } from './squared-distance-cache.js';

/** `‖x − y‖₂`; the square root is floored at 1e-6 so identical rows get a finite (zero) gradient. */
export class EuclideanDistance extends BaseDistance {
  /** Distances are not inverted. */
  readonly isInverted = false;

  /** Reuses the batch's cached squared distances (see `squared-distance-cache.ts`) when not normalising. */
  override pairwiseValues(x: tf.Tensor2D): Float32Array {
    if (this.normalizeEmbeddings) return super.pairwiseValues(x);
    const squared = squaredDistanceValues(x);
    const out = new Float32Array(squared.length);
    for (let k = 0; k < squared.length; k++) out[k] = Math.sqrt(Math.max(squared[k]!, SQRT_EPS));
    return out;
  }

  /** Squared distances order pairs like distances; un-normalised, they are the shared cached matrix. */
  override rankingValues(x: tf.Tensor2D): Float32Array {
    return this.normalizeEmbeddings ? super.rankingValues(x) : squaredDistanceValues(x);
  }

  protected compute(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.sqrt(tf.maximum(squaredDistances(x, y), SQRT_EPS)) as tf.Tensor2D);
  }
}
