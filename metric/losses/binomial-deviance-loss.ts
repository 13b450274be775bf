/**
 * Binomial deviance loss (Yi et al. 2014), as pytorch-lifestream's `BinomialDevianceLoss`:
 * `(mean_P log(1 + e^{−α(s − β)}) + mean_N log(1 + e^{αC(s − β)})) · batchSize` on cosine
 * similarities. An empty positive or negative set contributes 0.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../errors.js';
import { expectKnownKeys, expectNumber } from '../../options.js';
import type { BaseDistance } from '../distances/base-distance.js';
import { CosineSimilarity } from '../distances/cosine-similarity.js';
import { allPairs, asPairs, type MinedIndices } from '../mined-indices.js';
import type { BaseMiner } from '../miners/base-miner.js';
import { BaseLoss } from './base-loss.js';
import { pairMasks, weightedSum } from './pair-masks.js';

/** Options of {@link BinomialDevianceLoss}. */
export interface BinomialDevianceLossOptions {
  /** α: slope of the soft hinge. Minimum: > 0. @defaultValue `1` */
  readonly alpha: number;
  /** β: similarity where the penalty switches sides. @defaultValue `1` */
  readonly beta: number;
  /** C: extra weight of negative pairs. Minimum: > 0. @defaultValue `1` */
  readonly c: number;
}

/** Defaults of {@link BinomialDevianceLoss} (pytorch-lifestream; its experiments used β = 0.3). */
export const BINOMIAL_DEVIANCE_DEFAULTS: BinomialDevianceLossOptions = { alpha: 1, beta: 1, c: 1 };

/** Soft hinges on similarity: positives pulled above β, negatives pushed below it. */
export class BinomialDevianceLoss extends BaseLoss {
  /** The validated options. */
  readonly options: BinomialDevianceLossOptions;

  /**
   * @param options - partial options; missing fields take {@link BINOMIAL_DEVIANCE_DEFAULTS}.
   * @param distance - a similarity. @defaultValue `new CosineSimilarity()`
   * @param miner - optional attached miner.
   */
  constructor(options: Partial<BinomialDevianceLossOptions> = {}, distance: BaseDistance = new CosineSimilarity(), miner?: BaseMiner) {
    super(distance, miner);
    if (!distance.isInverted) throw new ConfigError('BinomialDevianceLoss needs a similarity (`isInverted` true), not a distance');
    expectKnownKeys('binomial deviance loss options', options, Object.keys(BINOMIAL_DEVIANCE_DEFAULTS));
    const o = { ...BINOMIAL_DEVIANCE_DEFAULTS, ...options };
    expectNumber('alpha', o.alpha, Number.MIN_VALUE);
    expectNumber('beta', o.beta);
    expectNumber('c', o.c, Number.MIN_VALUE);
    this.options = o;
  }

  protected compute(embeddings: tf.Tensor2D, labels: Int32Array, mined: MinedIndices | undefined): tf.Scalar {
    const { alpha, beta, c } = this.options;
    const size = labels.length;
    const masks = pairMasks(mined === undefined ? allPairs(labels) : asPairs(mined), size);
    const shifted = tf.sub(this.distance.pairwise(embeddings), beta);
    let total: tf.Scalar = tf.scalar(0);
    if (masks.posCount > 0) {
      const pos = tf.softplus(tf.mul(shifted, -alpha));
      total = tf.add(total, tf.div(weightedSum(tf.tensor2d(masks.pos, [size, size]), pos), masks.posCount));
    }
    if (masks.negCount > 0) {
      const neg = tf.softplus(tf.mul(shifted, alpha * c));
      total = tf.add(total, tf.div(weightedSum(tf.tensor2d(masks.neg, [size, size]), neg), masks.negCount));
    }
    // Keeps the result connected to the embeddings even when both sets are empty (gradient 0, not null).
    return tf.add(tf.mul(total, size), tf.mul(tf.sum(embeddings), 0));
  }
}
