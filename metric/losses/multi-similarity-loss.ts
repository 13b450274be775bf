/**
 * Multi-similarity loss (Wang et al. 2019), as PML's `MultiSimilarityLoss`: per anchor
 * `(1/α)·log(1 + Σ_P e^{−α(s − λ)}) + (1/β)·log(1 + Σ_N e^{β(s − λ)})`, averaged over all rows.
 * Mined pairs act as masks (each pair counted once).
 */
import * as tf from '@tensorflow/tfjs';
import { expectKnownKeys, expectNumber } from '../../options.js';
import type { BaseDistance } from '../distances/base-distance.js';
import { CosineSimilarity } from '../distances/cosine-similarity.js';
import { allPairs, asPairs, type MinedIndices } from '../mined-indices.js';
import type { BaseMiner } from '../miners/base-miner.js';
import { BaseLoss } from './base-loss.js';
import { logOnePlusSumExp } from './masked-reductions.js';
import { binarize, pairMasks } from './pair-masks.js';

/** Options of {@link MultiSimilarityLoss}. */
export interface MultiSimilarityLossOptions {
  /** α: scale of the positive term. Minimum: > 0. @defaultValue `2` */
  readonly alpha: number;
  /** β: scale of the negative term. Minimum: > 0. @defaultValue `50` */
  readonly beta: number;
  /** λ: the similarity offset (PML's `base`). @defaultValue `0.5` */
  readonly base: number;
}

/** Defaults of {@link MultiSimilarityLoss} (PML). */
export const MULTI_SIMILARITY_DEFAULTS: MultiSimilarityLossOptions = { alpha: 2, beta: 50, base: 0.5 };

/** Soft-max weighted pull of positives above λ and push of negatives below it. */
export class MultiSimilarityLoss extends BaseLoss {
  /** The validated options. */
  readonly options: MultiSimilarityLossOptions;

  /**
   * @param options - partial options; missing fields take {@link MULTI_SIMILARITY_DEFAULTS}.
   * @param distance - usually a similarity. @defaultValue `new CosineSimilarity()`
   * @param miner - optional attached miner.
   */
  constructor(options: Partial<MultiSimilarityLossOptions> = {}, distance: BaseDistance = new CosineSimilarity(), miner?: BaseMiner) {
    super(distance, miner);
    expectKnownKeys('multi-similarity loss options', options, Object.keys(MULTI_SIMILARITY_DEFAULTS));
    const o = { ...MULTI_SIMILARITY_DEFAULTS, ...options };
    expectNumber('alpha', o.alpha, Number.MIN_VALUE);
    expectNumber('beta', o.beta, Number.MIN_VALUE);
    expectNumber('base', o.base);
    this.options = o;
  }

  protected compute(embeddings: tf.Tensor2D, labels: Int32Array, mined: MinedIndices | undefined): tf.Scalar {
    const { alpha, beta, base } = this.options;
    const size = labels.length;
    const masks = pairMasks(mined === undefined ? allPairs(labels, true) : asPairs(mined), size);
    const mat = this.distance.pairwise(embeddings);
    // margin(mat, λ) is λ − s for similarities and d − λ for distances, as in PML.
    const posExp = tf.mul(this.distance.margin(mat, tf.scalar(base)), alpha) as tf.Tensor2D;
    const negExp = tf.mul(this.distance.margin(tf.scalar(base), mat), beta) as tf.Tensor2D;
    const pos = tf.div(logOnePlusSumExp(posExp, tf.tensor2d(binarize(masks.pos), [size, size])), alpha);
    const neg = tf.div(logOnePlusSumExp(negExp, tf.tensor2d(binarize(masks.neg), [size, size])), beta);
    return tf.mean(tf.add(pos, neg));
  }
}
