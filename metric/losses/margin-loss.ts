/**
 * Margin loss (Wu et al. 2017) on pairs: `[d_ap − β + α]₊` for positives and `[β − d_an + α]₊`
 * for negatives. Summed as pytorch-lifestream's `MarginLoss`, or divided by the number of
 * non-zero terms as PML's divisor reducer.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../errors.js';
import { expectKnownKeys, expectNumber, expectOneOf } from '../../options.js';
import type { BaseDistance } from '../distances/base-distance.js';
import { EuclideanDistance } from '../distances/euclidean-distance.js';
import { allPairs, asPairs, type MinedIndices } from '../mined-indices.js';
import type { BaseMiner } from '../miners/base-miner.js';
import { BaseLoss } from './base-loss.js';
import { euclideanPairLoss, hingeAbove, hingeBelow, isPlainEuclidean } from './euclidean-pair-path.js';
import { pairMasks, weightedSum } from './pair-masks.js';

/** Options of {@link MarginLoss}. */
export interface MarginLossOptions {
  /** α: half-width of the band around β that costs nothing. Minimum: `0`. @defaultValue `0.2` */
  readonly margin: number;
  /** β: the boundary between positive and negative distances. Minimum: `0`. @defaultValue `1.2` */
  readonly beta: number;
  /** `sum` (pytorch-lifestream) or `avg-non-zero`: divided by the count of non-zero terms (PML). @defaultValue `'sum'` */
  readonly reduction: 'sum' | 'avg-non-zero';
}

/** Defaults of {@link MarginLoss} (PML's α, β; pytorch-lifestream's summation). */
export const MARGIN_DEFAULTS: MarginLossOptions = { margin: 0.2, beta: 1.2, reduction: 'sum' };

/** Pairs on the wrong side of β ± α cost their distance to the band. */
export class MarginLoss extends BaseLoss {
  /** The validated options. */
  readonly options: MarginLossOptions;

  /**
   * @param options - partial options; missing fields take {@link MARGIN_DEFAULTS}.
   * @param distance - a distance (not a similarity). @defaultValue `new EuclideanDistance()`
   * @param miner - optional attached miner.
   */
  constructor(options: Partial<MarginLossOptions> = {}, distance: BaseDistance = new EuclideanDistance(), miner?: BaseMiner) {
    super(distance, miner);
    if (distance.isInverted) throw new ConfigError('MarginLoss needs a distance, not a similarity (`isInverted` is true)');
    expectKnownKeys('margin loss options', options, Object.keys(MARGIN_DEFAULTS));
    const o = { ...MARGIN_DEFAULTS, ...options };
    expectNumber('margin', o.margin, 0);
    expectNumber('beta', o.beta, 0);
    expectOneOf('reduction', o.reduction, ['sum', 'avg-non-zero'] as const);
    this.options = o;
  }

  protected compute(embeddings: tf.Tensor2D, labels: Int32Array, mined: MinedIndices | undefined): tf.Scalar {
    const { margin, beta, reduction } = this.options;
    const size = labels.length;
    const pairs = mined === undefined ? allPairs(labels) : asPairs(mined);
    if (isPlainEuclidean(this.distance)) {
      return euclideanPairLoss(embeddings, pairs, hingeAbove(beta - margin, false), hingeBelow(beta + margin, false), (s) => {
        const nonZero = s.posNonZero + s.negNonZero;
        const weight = reduction === 'sum' ? 1 : nonZero > 0 ? 1 / nonZero : 0;
        return [weight, weight];
      });
    }
    const masks = pairMasks(pairs, size);
    const d = this.distance.pairwise(embeddings);
    const pos = tf.relu(tf.add(tf.sub(d, beta), margin));
    const neg = tf.relu(tf.add(tf.sub(beta, d), margin));
    const posWeights = tf.tensor2d(masks.pos, [size, size]);
    const negWeights = tf.tensor2d(masks.neg, [size, size]);
    const total: tf.Scalar = tf.add(weightedSum(posWeights, pos), weightedSum(negWeights, neg));
    if (reduction === 'sum') return total;
    const nonZero = tf.tidy(
      () => tf.add(weightedSum(posWeights, tf.cast(tf.greater(pos, 0), 'float32')), weightedSum(negWeights, tf.cast(tf.greater(neg, 0), 'float32'))).dataSync()[0]!,
    );
    return nonZero > 0 ? tf.div(total, nonZero) : tf.mul(total, 0);
  }
}
