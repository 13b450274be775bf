/**
 * CosFace / large-margin cosine loss (Wang et al. 2018), as PML's `CosFaceLoss`, for supervised
 * use: learnable class weights W (`numClasses × embeddingSize`), logits `s·cos θ_j`, with `m`
 * subtracted from the true class's cosine; softmax cross-entropy averaged over rows. Labels are
 * class indices in [0, numClasses). W is the loss's own variable: optimise
 * {@link BaseLoss.trainableVariables} together with the model.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../data/random.js';
import { ShapeError } from '../../errors.js';
import { expectInteger, expectKnownKeys, expectNumber } from '../../options.js';
import { CosineSimilarity } from '../distances/cosine-similarity.js';
import { l2Normalize, matMulTransposed } from '../distances/base-distance.js';
import type { MinedIndices } from '../mined-indices.js';
import { BaseLoss } from './base-loss.js';

/** Options of {@link CosFaceLoss}. */
export interface CosFaceLossOptions {
  /** Number of classes. Minimum: `2`. */
  readonly numClasses: number;
  /** Embedding width. Minimum: `1`. */
  readonly embeddingSize: number;
  /** m: cosine margin of the true class. Minimum: `0`. @defaultValue `0.35` */
  readonly margin: number;
  /** s: logit scale. Minimum: > 0. @defaultValue `64` */
  readonly scale: number;
  /**
   * Seed of the (Glorot-normal, truncated at 2σ) initial class weights, drawn with the project's
   * {@link Rng}: every seed, 0 included, gives the same weights in every process. @defaultValue `0`
   */
  readonly seed: number;
}

/** Defaults of {@link CosFaceLoss} (PML), without the required sizes. */
export const COSFACE_DEFAULTS = { margin: 0.35, scale: 64, seed: 0 } as const;

/** Softmax over scaled cosines to learned class centres, with a margin on the true class. */
export class CosFaceLoss extends BaseLoss {
  /** The validated options. */
  readonly options: CosFaceLossOptions;
  /** Class weights, `numClasses × embeddingSize`. */
  readonly weights: tf.Variable<tf.Rank.R2>;

  /** @param options - sizes are required; other fields take {@link COSFACE_DEFAULTS}. */
  constructor(options: Pick<CosFaceLossOptions, 'numClasses' | 'embeddingSize'> & Partial<CosFaceLossOptions>) {
    super(new CosineSimilarity());
    expectKnownKeys('CosFace loss options', options, ['numClasses', 'embeddingSize', ...Object.keys(COSFACE_DEFAULTS)]);
    const o = { ...COSFACE_DEFAULTS, ...options };
    expectInteger('numClasses', o.numClasses, 2);
    expectInteger('embeddingSize', o.embeddingSize, 1);
    expectNumber('margin', o.margin, 0);
    expectNumber('scale', o.scale, Number.MIN_VALUE);
    expectInteger('seed', o.seed);
    this.options = o;
    // Not tf.initializers.glorotNormal: its generator treats seed 0 as "no seed" (Math.random), so
    // the default seed gave different weights per run and a resumed run could not match.
    this.weights = tf.tidy(() => tf.variable(tf.tensor2d(glorotNormal(new Rng(o.seed), o.numClasses, o.embeddingSize), [o.numClasses, o.embeddingSize]), true));
  }

  override trainableVariables(): tf.Variable[] {
    return [this.weights];
  }

  protected compute(embeddings: tf.Tensor2D, labels: Int32Array, _mined: MinedIndices | undefined): tf.Scalar {
    const { numClasses, embeddingSize, margin, scale } = this.options;
    if (embeddings.shape[1] !== embeddingSize) {
      throw new ShapeError(`CosFace expects embeddings of width ${embeddingSize}, got ${embeddings.shape[1]}`);
    }
    for (const label of labels) {
      if (label < 0 || label >= numClasses) throw new ShapeError(`CosFace label ${label} is outside 0..${numClasses - 1}`);
    }
    const cosine = matMulTransposed(l2Normalize(embeddings), l2Normalize(this.weights));
    const target = tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses);
    const logits = tf.mul(tf.sub(cosine, tf.mul(target, margin)), scale);
    return tf.losses.softmaxCrossEntropy(target, logits) as tf.Scalar;
  }
}

/** Glorot-normal values (Keras: truncated normal at 2σ, σ = √(2 / (fanIn + fanOut)) / 0.8796) from `rng`. */
function glorotNormal(rng: Rng, rows: number, cols: number): Float32Array {
  const std = Math.sqrt(2 / (rows + cols)) / 0.87962566103423978;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) {
    let z = rng.normal();
    while (Math.abs(z) > 2) z = rng.normal();
    out[i] = z * std;
  }
  return out;
}
