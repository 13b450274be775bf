/**
 * Dot product similarity. Unlike PML (which normalises by default, making it cosine), rows are
 * used as given unless `normalizeEmbeddings` is set: MeLES heads already L2-normalise.
 */
import * as tf from '@tensorflow/tfjs';
import { BaseDistance, matMulTransposed } from './base-distance.js';

/** `x·y`; larger = closer. */
export class DotProductSimilarity extends BaseDistance {
  /** Similarities are inverted. */
  readonly isInverted = true;

  protected compute(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
    return matMulTransposed(x, y);
  }
}
