/**
 * NT-Xent / InfoNCE (PML's `NTXentLoss`; pytorch-lifestream's `SoftmaxLoss` is the same with all
 * negatives): per positive pair (a, p), `−log(e^{s_ap/τ} / (e^{s_ap/τ} + Σ_{n∈N(a)} e^{s_an/τ}))`,
 * averaged over positive pairs. Other positives of `a` are not in the denominator.
 */
import * as tf from '@tensorflow/tfjs';
import { expectKnownKeys, expectNumber } from '../../options.js';
import type { BaseDistance } from '../distances/base-distance.js';
import { CosineSimilarity } from '../distances/cosine-similarity.js';
import { allPairs, asPairs, type MinedIndices } from '../mined-indices.js';
import type { BaseMiner } from '../miners/base-miner.js';
import { BaseLoss } from './base-loss.js';
import { detach } from './masked-reductions.js';
import { pairMasks, weightedSum } from './pair-masks.js';

/** Options of {@link NTXentLoss}. */
export interface NTXentLossOptions {
  /** τ: softmax temperature. Minimum: > 0. @defaultValue `0.07` */
  readonly temperature: number;
}

/** Defaults of {@link NTXentLoss} (PML; pytorch-lifestream's SoftmaxLoss uses 0.05). */
export const NTXENT_DEFAULTS: NTXentLossOptions = { temperature: 0.07 };

/** Guards `log` when every term underflows (tiny temperatures). */
const TINY = 1e-30;

/** Softmax cross-entropy of each positive against the anchor's negatives. */
export class NTXentLoss extends BaseLoss {
  /** The validated options. */
  readonly options: NTXentLossOptions;

  /**
   * @param options - partial options; missing fields take {@link NTXENT_DEFAULTS}.
   * @param distance - a similarity or distance (distances are negated). @defaultValue `new CosineSimilarity()`
   * @param miner - optional attached miner.
   */
  constructor(options: Partial<NTXentLossOptions> = {}, distance: BaseDistance = new CosineSimilarity(), miner?: BaseMiner) {
    super(distance, miner);
    expectKnownKeys('NT-Xent loss options', options, Object.keys(NTXENT_DEFAULTS));
    const o = { ...NTXENT_DEFAULTS, ...options };
    expectNumber('temperature', o.temperature, Number.MIN_VALUE);
    this.options = o;
  }

  protected compute(embeddings: tf.Tensor2D, labels: Int32Array, mined: MinedIndices | undefined): tf.Scalar {
    const size = labels.length;
    const masks = pairMasks(mined === undefined ? allPairs(labels, true) : asPairs(mined), size);
    const mat = this.distance.pairwise(embeddings);
    const logits = tf.div(this.distance.isInverted ? mat : tf.neg(mat), this.options.temperature);
    if (masks.posCount === 0 || masks.negCount === 0) return tf.mul(tf.sum(logits), 0);
    // Shift each pair by max(its positive logit, its anchor's largest negative logit): no ratio
    // changes, every exp is <= 1 and one of them is exactly 1, so tiny temperatures cannot
    // underflow the whole denominator.
    const negMask = tf.tensor2d(masks.neg, [size, size]);
    // Non-negatives are pushed to a huge negative logit first: exp of their real value could be
    // Inf, and 0·Inf is NaN in the backward pass.
    const negLogits = tf.where(tf.greater(negMask, 0), logits, tf.fill([size, size], -1e30));
    const negMax = detach(tf.max(negLogits, 1, true));
    const shift = detach(tf.maximum(logits, negMax));
    const negSum = tf.sum(tf.mul(negMask, tf.exp(tf.sub(negLogits, negMax))), 1, true);
    const denominator = tf.add(tf.exp(tf.sub(logits, shift)), tf.mul(tf.exp(tf.sub(negMax, shift)), negSum));
    const perPair = tf.sub(tf.log(tf.add(denominator, TINY)), tf.sub(logits, shift));
    return tf.div(weightedSum(tf.tensor2d(masks.pos, [size, size]), perPair), masks.posCount);
  }
}
