/**
 * Histogram loss (Ustinova & Lempitsky 2016), as pytorch-lifestream's `HistogramLoss`: soft
 * histograms of cosine similarity for positive and negative pairs over `numSteps` nodes on
 * [−1, 1]; loss = `Σ_r h⁻_r · CDF⁺_r`, the probability that a random negative pair is more similar
 * than a random positive one.
 *
 * Each similarity is split linearly between its two neighbouring nodes (a triangular kernel),
 * which is the reference's two-case binning (its lower node is `floor((s + 1) / step)`, aligned
 * with the nodes at −1 + r·step) written as one elementwise function.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../errors.js';
import { expectInteger, expectKnownKeys } from '../../options.js';
import type { BaseDistance } from '../distances/base-distance.js';
import { CosineSimilarity } from '../distances/cosine-similarity.js';
import { allPairs, asPairs, type MinedIndices } from '../mined-indices.js';
import type { BaseMiner } from '../miners/base-miner.js';
import { BaseLoss } from './base-loss.js';
import { pairMasks } from './pair-masks.js';

/** Options of {@link HistogramLoss}. */
export interface HistogramLossOptions {
  /** Histogram nodes on [−1, 1] (step 2 / (numSteps − 1)). Minimum: `2`. @defaultValue `100` */
  readonly numSteps: number;
}

/** Defaults of {@link HistogramLoss} (pytorch-lifestream; its experiments used 25). */
export const HISTOGRAM_DEFAULTS: HistogramLossOptions = { numSteps: 100 };

/** Overlap of the positive and negative similarity distributions. */
export class HistogramLoss extends BaseLoss {
  /** The validated options. */
  readonly options: HistogramLossOptions;

  /**
   * @param options - partial options; missing fields take {@link HISTOGRAM_DEFAULTS}.
   * @param distance - a similarity with values in [−1, 1]. @defaultValue `new CosineSimilarity()`
   * @param miner - optional attached miner.
   */
  constructor(options: Partial<HistogramLossOptions> = {}, distance: BaseDistance = new CosineSimilarity(), miner?: BaseMiner) {
    super(distance, miner);
    if (!distance.isInverted) throw new ConfigError('HistogramLoss needs a similarity in [-1, 1] (`isInverted` true), not a distance');
    expectKnownKeys('histogram loss options', options, Object.keys(HISTOGRAM_DEFAULTS));
    const o = { ...HISTOGRAM_DEFAULTS, ...options };
    expectInteger('numSteps', o.numSteps, 2);
    this.options = o;
  }

  protected compute(embeddings: tf.Tensor2D, labels: Int32Array, mined: MinedIndices | undefined): tf.Scalar {
    const steps = this.options.numSteps;
    const step = 2 / (steps - 1);
    const size = labels.length;
    const masks = pairMasks(mined === undefined ? allPairs(labels) : asPairs(mined), size);
    const s = tf.reshape(this.distance.pairwise(embeddings), [1, size * size]);
    const nodes = tf.reshape(tf.linspace(-1, 1, steps), [steps, 1]);
    // Weight of each similarity at each node: 1 at the node, falling linearly to 0 one step away.
    const kernel = tf.relu(tf.sub(1, tf.div(tf.abs(tf.sub(s, nodes)), step)));
    const link = tf.mul(tf.sum(embeddings), 0);
    if (masks.posCount === 0 || masks.negCount === 0) return tf.add(link, 0);
    const posHistogram = tf.div(tf.matMul(kernel, tf.tensor2d(masks.pos, [size * size, 1])), masks.posCount);
    const negHistogram = tf.div(tf.matMul(kernel, tf.tensor2d(masks.neg, [size * size, 1])), masks.negCount);
    // 1-D: tfjs's cumsum gradient gets the shape wrong on axis 0 of a column.
    const posCdf = tf.cumsum(tf.reshape(posHistogram, [steps]));
    return tf.add(tf.sum(tf.mul(tf.reshape(negHistogram, [steps]), posCdf)), link);
  }
}
