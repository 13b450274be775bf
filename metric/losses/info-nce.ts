/**
 * InfoNCE (van den Oord et al. 2018) in grouped form, the math core of CPC: each query `q` (a
 * prediction) scores its positive `p` against the negatives of its group with dot products, and
 * costs `−log softmax([q·p, q·n_1, …, q·n_M])[0]`. Queries are grouped (`[G, C, d]`) because in CPC
 * every query of one sequence shares that sequence's negatives (pytorch-lifestream's `CPC_Loss`),
 * so the negative scores are one batched product `[G, C, d] · [G, d, M]` instead of a gather of
 * `C · M` vectors. Which rows are queries, positives and negatives is the caller's business
 * (`training/cpc/` knows the packed layout); this file only knows tensors and weights.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';

/** What {@link infoNceLoss} reads. Padding queries get weight 0; padding negatives are excluded by `negativeCounts`. */
export interface InfoNceInput {
  /** Queries (predictions), `[G, C, d]`. */
  readonly queries: tf.Tensor3D;
  /** The positive of each query, `[G, C, d]`. */
  readonly positives: tf.Tensor3D;
  /** The negatives shared by every query of a group, `[G, M, d]` (`M >= 1`). */
  readonly negatives: tf.Tensor3D;
  /** Weight of each query's cost, `G · C` values row-major; 0 for padding. The loss is `Σ weight · cost`. */
  readonly weights: Float32Array;
  /**
   * Real negatives of each group (`G` values in [0, M]); the rest of the group's `M` rows are padding
   * and leave its softmax. A group with 0 negatives costs 0 (softmax over the positive alone).
   * @defaultValue every group has all `M`
   */
  readonly negativeCounts?: Int32Array;
}

// Added to the logits of padding negatives: exp(−1e9 − max) is exactly 0 in float32, so they get
// neither probability nor gradient, and no −Infinity can turn into NaN in a backward pass.
const EXCLUDED = -1e9;

/**
 * `Σ_{g,c} weight[g,c] · (logsumexp([q·p, q·n_1..M]) − q·p)`. Call inside `tf.tidy` or a gradient
 * function; the result is a scalar connected to all three inputs.
 */
export function infoNceLoss(input: InfoNceInput): tf.Scalar {
  const { queries, positives, negatives, weights, negativeCounts } = input;
  const [G, C, d] = queries.shape;
  const M = negatives.shape[1];
  if (positives.shape.join() !== queries.shape.join()) {
    throw new ShapeError(`InfoNCE positives must have the queries' shape [${queries.shape.join(', ')}], got [${positives.shape.join(', ')}]`);
  }
  if (negatives.shape[0] !== G || negatives.shape[2] !== d || M < 1) {
    throw new ShapeError(`InfoNCE negatives must be [${G}, M >= 1, ${d}], got [${negatives.shape.join(', ')}]`);
  }
  if (weights.length !== G * C) throw new ShapeError(`InfoNCE expects ${G * C} weights (G · C), got ${weights.length}`);
  if (negativeCounts !== undefined && negativeCounts.length !== G) {
    throw new ShapeError(`InfoNCE expects ${G} negative counts, got ${negativeCounts.length}`);
  }
  const positive = tf.sum(tf.mul(queries, positives), 2); // [G, C]
  // transpose + plain matMul: the transposeB flag is the slow path of the stock wasm matMul.
  let negative: tf.Tensor3D = tf.matMul(queries, tf.transpose(negatives, [0, 2, 1])); // [G, C, M]
  if (negativeCounts !== undefined && negativeCounts.some((n) => n < M)) {
    const bias = new Float32Array(G * M);
    for (let g = 0; g < G; g++) bias.fill(EXCLUDED, g * M + Math.max(0, negativeCounts[g]!), (g + 1) * M);
    negative = tf.add(negative, tf.tensor3d(bias, [G, 1, M]));
  }
  const logits = tf.concat([tf.expandDims(positive, 2), negative], 2); // [G, C, 1 + M]
  const cost = tf.sub(tf.logSumExp(logits, 2), positive);
  return tf.sum(tf.mul(cost, tf.tensor2d(weights, [G, C])));
}
