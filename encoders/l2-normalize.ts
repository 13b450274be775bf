/** The MeLES head: L2 normalisation of each row, as ptls `Head(use_norm_encoder=True)`. */
import * as tf from '@tensorflow/tfjs';

/** `x / (‖x‖ + 1e-9)` per row; the epsilon keeps an all-zero row finite (ptls uses the same). */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.add(tf.norm(x, 'euclidean', 1, true), 1e-9)));
}
