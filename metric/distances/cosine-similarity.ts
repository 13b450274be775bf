/** Cosine similarity: always normalises, whatever `normalizeEmbeddings` says. */
import * as tf from '@tensorflow/tfjs';
import { BaseDistance, l2Normalize, matMulTransposed } from './base-distance.js';

/** `x·y / (‖x‖‖y‖)`, in [−1, 1]; larger = closer. */
export class CosineSimilarity extends BaseDistance {
  /** Similarities are inverted. */
  readonly isInverted = true;

  protected compute(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const a = this.normalizeEmbeddings ? x : l2Normalize(x);
      const b = y === x ? a : this.normalizeEmbeddings ? y : l2Normalize(y);
      return matMulTransposed(a, b);
    });
  }
}
