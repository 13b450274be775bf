/** Euclidean (L2) distance; pytorch-lifestream's `F.pairwise_distance` and PML's `LpDistance()`. */
import * as tf from '@tensorflow/tfjs';
import { BaseDistance, SQRT_EPS, squaredDistances } from './base-distance.js';

/** `‖x − y‖₂`; the square root is floored at 1e-6 so identical rows get a finite (zero) gradient. */
export class EuclideanDistance extends BaseDistance {
  /** Distances are not inverted. */
  readonly isInverted = false;

  protected compute(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.sqrt(tf.maximum(squaredDistances(x, y), SQRT_EPS)) as tf.Tensor2D);
  }
}
