/**
 * Triplet margin loss: `[d_ap − d_an + m]₊` per triplet (`margin` via the distance, so it also works
 * with similarities), with optional swap (use the closer of d_an and d_pn) and soft-plus instead of
 * the hinge. Reduced by averaging non-zero terms (PML), the mean, or the sum (pytorch-lifestream).
 * Triplet values are read from the pairwise matrix with `gather`, whose gradient the wasm backend
 * gets from `encoders/backend.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import { expectBoolean, expectKnownKeys, expectNumber, expectOneOf } from '../../options.js';
import type { BaseDistance } from '../distances/base-distance.js';
import { EuclideanDistance } from '../distances/euclidean-distance.js';
import { allTriplets, asTriplets, type MinedIndices } from '../mined-indices.js';
import type { BaseMiner } from '../miners/base-miner.js';
import { BaseLoss } from './base-loss.js';

/** Options of {@link TripletLoss}. */
export interface TripletLossOptions {
  /** Required gap between positive and negative. @defaultValue `0.05` */
  readonly margin: number;
  /** Use min(d_an, d_pn) as the negative distance (Balntas et al.). @defaultValue `false` */
  readonly swap: boolean;
  /** `log(1 + e^x)` instead of `[x]₊`. @defaultValue `false` */
  readonly smooth: boolean;
  /** `avg-non-zero` (PML), `mean` or `sum` (pytorch-lifestream) over triplets. @defaultValue `'avg-non-zero'` */
  readonly reduction: 'avg-non-zero' | 'mean' | 'sum';
}

/** Defaults of {@link TripletLoss} (PML). */
export const TRIPLET_DEFAULTS: TripletLossOptions = { margin: 0.05, swap: false, smooth: false, reduction: 'avg-non-zero' };

/** Anchors should be closer to their positive than to their negative by a margin. */
export class TripletLoss extends BaseLoss {
  /** The validated options. */
  readonly options: TripletLossOptions;

  /**
   * @param options - partial options; missing fields take {@link TRIPLET_DEFAULTS}.
   * @param distance - distance or similarity. @defaultValue `new EuclideanDistance()`
   * @param miner - optional attached miner.
   */
  constructor(options: Partial<TripletLossOptions> = {}, distance: BaseDistance = new EuclideanDistance(), miner?: BaseMiner) {
    super(distance, miner);
    expectKnownKeys('triplet loss options', options, Object.keys(TRIPLET_DEFAULTS));
    const o = { ...TRIPLET_DEFAULTS, ...options };
    expectNumber('margin', o.margin);
    expectBoolean('swap', o.swap);
    expectBoolean('smooth', o.smooth);
    expectOneOf('reduction', o.reduction, ['avg-non-zero', 'mean', 'sum'] as const);
    this.options = o;
  }

  protected compute(embeddings: tf.Tensor2D, labels: Int32Array, mined: MinedIndices | undefined): tf.Scalar {
    const { margin, swap, smooth, reduction } = this.options;
    const size = labels.length;
    const t = mined === undefined ? allTriplets(labels) : asTriplets(mined);
    const flat: tf.Tensor1D = tf.reshape(this.distance.pairwise(embeddings), [size * size]);
    if (t.a.length === 0) return tf.mul(tf.sum(flat), 0);
    const at = (rows: Int32Array, cols: Int32Array): tf.Tensor1D =>
      tf.gather(flat, tf.tensor1d(Int32Array.from(rows, (r, i) => r * size + cols[i]!), 'int32'));
    const ap = at(t.a, t.p);
    let an = at(t.a, t.n);
    if (swap) {
      const pn = at(t.p, t.n);
      an = (this.distance.isInverted ? tf.maximum(an, pn) : tf.minimum(an, pn)) as tf.Tensor1D;
    }
    const violation = tf.add(this.distance.margin(ap, an), margin);
    const losses = smooth ? tf.softplus(violation) : tf.relu(violation);
    if (reduction === 'sum') return tf.sum(losses);
    if (reduction === 'mean') return tf.mean(losses);
    const nonZero = tf.tidy(() => tf.sum(tf.cast(tf.greater(losses, 0), 'float32')).dataSync()[0]!);
    return nonZero > 0 ? tf.div(tf.sum(losses), nonZero) : tf.mul(tf.sum(losses), 0);
  }
}
