/**
 * The loss template (PML `BaseMetricLossFunction`): check shapes, mine if a miner is attached and
 * no indices were given, compute and reduce inside `tf.tidy`. A new loss writes only `compute`.
 */
import * as tf from '@tensorflow/tfjs';
import type { BaseDistance } from '../distances/base-distance.js';
import { checkMinedIndices, type MinedIndices } from '../mined-indices.js';
import { checkEmbeddings, type BaseMiner } from '../miners/base-miner.js';

/** A metric-learning loss over a batch of embeddings with class (client) labels. */
export abstract class BaseLoss {
  /** How embeddings are compared. */
  readonly distance: BaseDistance;
  /** Miner run when `call` gets no indices; `undefined` means all pairs or triplets. */
  miner: BaseMiner | undefined;

  /**
   * @param distance - how embeddings are compared.
   * @param miner - optional miner attached to the loss.
   */
  constructor(distance: BaseDistance, miner?: BaseMiner) {
    this.distance = distance;
    this.miner = miner;
  }

  /**
   * The reduced loss of `embeddings` (`n × d`) with `labels` (length `n`). Uses `mined` if given,
   * else the attached miner, else the loss's default (all pairs or all triplets). Tensors created
   * on the way are freed; only the returned scalar is kept.
   */
  call(embeddings: tf.Tensor2D, labels: Int32Array, mined?: MinedIndices): tf.Scalar {
    checkEmbeddings(embeddings, labels);
    const indices = mined ?? this.miner?.mine(embeddings, labels);
    if (indices !== undefined) checkMinedIndices(indices, embeddings.shape[0]);
    return tf.tidy(() => this.compute(embeddings, labels, indices));
  }

  /** Learnable parameters of the loss itself (class weights); they must be optimised too. */
  trainableVariables(): tf.Variable[] {
    return [];
  }

  /** Frees the loss's own variables, if any. */
  dispose(): void {
    for (const variable of this.trainableVariables()) variable.dispose();
  }

  /** The loss maths; runs inside `tf.tidy`. */
  protected abstract compute(embeddings: tf.Tensor2D, labels: Int32Array, mined: MinedIndices | undefined): tf.Scalar;
}
