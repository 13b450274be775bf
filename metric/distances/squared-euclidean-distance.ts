/** Squared Euclidean distance (PML's `LpDistance(power=2)`). */
import * as tf from '@tensorflow/tfjs';
import { BaseDistance, squaredDistances } from './base-distance.js';

/** `‖x − y‖₂²`: smooth everywhere, so no floor is needed. */
export class SquaredEuclideanDistance extends BaseDistance {
  /** Distances are not inverted. */
  readonly isInverted = false;

  protected compute(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
    return squaredDistances(x, y);
  }
}
