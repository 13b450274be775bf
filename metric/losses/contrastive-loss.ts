/**
 * Contrastive loss, in both common forms:
 * - pytorch-lifestream (MeLES default): `Σ_P d² + Σ_N [m − d]₊²`, summed, Euclidean;
 * - pytorch-metric-learning: `avg≠0_P [d − m_p]₊ + avg≠0_N [m_n − d]₊` (each part averaged over
 *   its non-zero terms, then added).
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../errors.js';
import { expectBoolean, expectKnownKeys, expectNumber, expectOneOf } from '../../options.js';
import type { BaseDistance } from '../distances/base-distance.js';
import { EuclideanDistance } from '../distances/euclidean-distance.js';
import { allPairs, asPairs, type MinedIndices } from '../mined-indices.js';
import type { BaseMiner } from '../miners/base-miner.js';
import { BaseLoss } from './base-loss.js';
import { euclideanPairLoss, hingeAbove, hingeBelow, isPlainEuclidean } from './euclidean-pair-path.js';
import { averageNonZero, pairMasks, weightedSum } from './pair-masks.js';

/** Options of {@link ContrastiveLoss}. */
export interface ContrastiveLossOptions {
  /** Positive pairs closer than this cost nothing. Minimum: `0`. @defaultValue `0` */
  readonly posMargin: number;
  /** Negative pairs farther than this cost nothing. Minimum: `0`. @defaultValue `0.5` */
  readonly negMargin: number;
  /** Square each hinge term (pytorch-lifestream) or not (PML). @defaultValue `true` */
  readonly squared: boolean;
  /** `sum` of all terms (pytorch-lifestream) or `avg-non-zero` per part (PML). @defaultValue `'sum'` */
  readonly reduction: 'sum' | 'avg-non-zero';
}

/** The pytorch-lifestream MeLES form. */
export const CONTRASTIVE_DEFAULTS: ContrastiveLossOptions = { posMargin: 0, negMargin: 0.5, squared: true, reduction: 'sum' };

/** Spreads the defaults over `partial` and validates the result. */
export function resolveContrastiveOptions(partial: Partial<ContrastiveLossOptions> = {}): ContrastiveLossOptions {
  expectKnownKeys('contrastive loss options', partial, Object.keys(CONTRASTIVE_DEFAULTS));
  const o = { ...CONTRASTIVE_DEFAULTS, ...partial };
  expectNumber('posMargin', o.posMargin, 0);
  expectNumber('negMargin', o.negMargin, 0);
  expectBoolean('squared', o.squared);
  expectOneOf('reduction', o.reduction, ['sum', 'avg-non-zero'] as const);
  return o;
}

/** Pulls positive pairs together and pushes negative pairs beyond a margin. */
export class ContrastiveLoss extends BaseLoss {
  /** The validated options. */
  readonly options: ContrastiveLossOptions;

  /**
   * @param options - partial options; missing fields take {@link CONTRASTIVE_DEFAULTS}.
   * @param distance - a distance (not a similarity). @defaultValue `new EuclideanDistance()`
   * @param miner - optional attached miner.
   */
  constructor(options: Partial<ContrastiveLossOptions> = {}, distance: BaseDistance = new EuclideanDistance(), miner?: BaseMiner) {
    super(distance, miner);
    if (distance.isInverted) throw new ConfigError('ContrastiveLoss needs a distance, not a similarity (`isInverted` is true)');
    this.options = resolveContrastiveOptions(options);
  }

  protected compute(embeddings: tf.Tensor2D, labels: Int32Array, mined: MinedIndices | undefined): tf.Scalar {
    const { posMargin, negMargin, squared, reduction } = this.options;
    const size = labels.length;
    const pairs = mined === undefined ? allPairs(labels) : asPairs(mined);
    if (isPlainEuclidean(this.distance)) {
      return euclideanPairLoss(embeddings, pairs, hingeAbove(posMargin, squared), hingeBelow(negMargin, squared), (s) =>
        reduction === 'sum' ? [1, 1] : [s.posNonZero > 0 ? 1 / s.posNonZero : 0, s.negNonZero > 0 ? 1 / s.negNonZero : 0],
      );
    }
    const masks = pairMasks(pairs, size);
    const d = this.distance.pairwise(embeddings);
    let pos: tf.Tensor = tf.relu(tf.sub(d, posMargin));
    let neg: tf.Tensor = tf.relu(tf.sub(negMargin, d));
    if (squared) {
      pos = tf.square(pos);
      neg = tf.square(neg);
    }
    const posWeights = tf.tensor2d(masks.pos, [size, size]);
    const negWeights = tf.tensor2d(masks.neg, [size, size]);
    if (reduction === 'sum') return tf.add(weightedSum(posWeights, pos), weightedSum(negWeights, neg));
    return tf.add(averageNonZero(posWeights, pos), averageNonZero(negWeights, neg));
  }
}
