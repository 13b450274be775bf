/**
 * The classification head of supervised training and fine-tuning (ptls `Head(objective=
 * 'classification')` on the sequence embedding): one linear layer (PyTorch `Linear` init,
 * U(±1/√width)); binary → one logit, sigmoid log-loss on "label index 1"; multiclass → one logit
 * per class, softmax cross-entropy. Losses are means over the batch.
 *
 * Optionally the embedding is standardised first, `(x − mean) / std` per component, with a mean
 * and std measured once on the training clients (see {@link embeddingStandardization}). That is
 * ptls `Head(use_batch_norm=True)` of its fine-tuning configs with the statistics frozen: a
 * pretrained GRU's components vary little (std ~0.04–0.4) around offsets as large or larger, a
 * badly conditioned input on which a linear layer trained a few epochs at a small learning rate
 * barely moves from its start.
 * The statistics are saved with the head (`head/mean`, `head/std`, not trained).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../data/random.js';
import { type NamedParameter, ParameterStore, uniformInit } from '../../encoders/parameters.js';
import { ShapeError } from '../../errors.js';

/** Per-component mean and standard deviation of embeddings. */
export interface EmbeddingStandardization {
  readonly mean: Float32Array;
  readonly std: Float32Array;
}

/**
 * Mean and std (population) per component of row-major `values` (`rows × width`); a std below
 * `1e-6` (a constant component) becomes 1, so it is only centred.
 */
export function embeddingStandardization(values: Float32Array, width: number): EmbeddingStandardization {
  const rows = values.length / width;
  if (!Number.isInteger(rows) || rows < 1) throw new ShapeError(`Expected a whole number (>= 1) of ${width}-wide rows, got ${values.length} values`);
  const sum = new Float64Array(width);
  const sq = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < width; j++) {
      const v = values[r * width + j]!;
      sum[j] = sum[j]! + v;
      sq[j] = sq[j]! + v * v;
    }
  }
  const mean = new Float32Array(width);
  const std = new Float32Array(width);
  for (let j = 0; j < width; j++) {
    const m = sum[j]! / rows;
    const s = Math.sqrt(Math.max(0, sq[j]! / rows - m * m));
    mean[j] = m;
    std[j] = s < 1e-6 ? 1 : s;
  }
  return { mean, std };
}

/** Binary or multiclass classification. */
export type LabelledKind = 'binary' | 'multiclass';

/** A linear classification head; {@link LabelledHead.dispose} frees it. */
export class LabelledHead {
  /** Logits per row: 1 for binary, `classes` for multiclass. */
  readonly outputs: number;
  private readonly store = new ParameterStore();
  private readonly w: tf.Variable;
  private readonly b: tf.Variable;
  private readonly mean: tf.Variable | undefined;
  private readonly std: tf.Variable | undefined;

  /**
   * @param standardization - per-component mean and std (length `width`, std > 0) applied before
   *   the linear layer @defaultValue none (the raw embedding)
   */
  constructor(
    readonly width: number,
    readonly kind: LabelledKind,
    readonly classes: number,
    seed: number,
    standardization?: EmbeddingStandardization,
  ) {
    if (!Number.isInteger(classes) || classes < 2 || (kind === 'binary' && classes !== 2)) {
      throw new ShapeError(`A ${kind} head needs ${kind === 'binary' ? 'exactly 2' : 'at least 2'} classes, got ${classes}`);
    }
    this.outputs = kind === 'binary' ? 1 : classes;
    const rng = new Rng(seed);
    const bound = 1 / Math.sqrt(width);
    this.w = this.store.add('head/w', [width, this.outputs], uniformInit(rng, width * this.outputs, bound));
    this.b = this.store.add('head/b', [this.outputs], uniformInit(rng, this.outputs, bound));
    if (standardization !== undefined) {
      const { mean, std } = standardization;
      if (mean.length !== width || std.length !== width) throw new ShapeError(`Standardization of a ${width}-wide embedding: expected ${width} means and stds, got ${mean.length} and ${std.length}`);
      if (!std.every((v) => v > 0 && Number.isFinite(v))) throw new ShapeError('Standardization: every std must be finite and > 0');
      this.mean = this.store.add('head/mean', [width], mean, false);
      this.std = this.store.add('head/std', [width], std, false);
    }
  }

  /** True when the head standardises its input. */
  get standardizes(): boolean {
    return this.mean !== undefined;
  }

  /** Logits `[rows, outputs]`. Call inside `tf.tidy` or a gradient function. */
  logits(embeddings: tf.Tensor2D): tf.Tensor2D {
    const input = this.mean === undefined || this.std === undefined ? embeddings : tf.div(tf.sub(embeddings, this.mean), this.std);
    return tf.fused.matMul({ a: input as tf.Tensor2D, b: this.w as tf.Tensor2D, bias: this.b }) as tf.Tensor2D;
  }

  /** Mean loss of `embeddings` (`[rows, width]`) against class indices `labels` (`rows`). */
  loss(embeddings: tf.Tensor2D, labels: Int32Array): tf.Scalar {
    if (labels.length !== embeddings.shape[0]) throw new ShapeError(`Expected ${embeddings.shape[0]} labels, got ${labels.length}`);
    for (const label of labels) {
      if (!(label >= 0 && label < this.classes)) throw new ShapeError(`Label ${label} is outside 0..${this.classes - 1}`);
    }
    return tf.tidy(() => {
      const logits = this.logits(embeddings);
      if (this.kind === 'binary') {
        const target = tf.tensor2d(Float32Array.from(labels), [labels.length, 1]);
        return tf.losses.sigmoidCrossEntropy(target, logits) as tf.Scalar;
      }
      const target = tf.oneHot(tf.tensor1d(labels, 'int32'), this.classes);
      return tf.losses.softmaxCrossEntropy(target, logits) as tf.Scalar;
    });
  }

  /** Probabilities: binary `[rows]` of P(class 1); multiclass `[rows, classes]` (rows sum to 1). */
  probabilities(embeddings: tf.Tensor2D): tf.Tensor {
    return tf.tidy(() => {
      const logits = this.logits(embeddings);
      return this.kind === 'binary' ? tf.reshape(tf.sigmoid(logits), [-1]) : tf.softmax(logits);
    });
  }

  /** `head/w` `[width, outputs]`, `head/b` `[outputs]`, and when standardising the untrained `head/mean` and `head/std` `[width]` (what is saved). */
  parameters(): NamedParameter[] {
    return this.store.all();
  }

  /** The parameters an optimizer trains: `head/w` and `head/b`. */
  trainableParameters(): NamedParameter[] {
    return this.store.all().filter((p) => p.variable.trainable);
  }

  /** Overwrites the weights (names as in {@link LabelledHead.parameters}). */
  setWeights(values: ReadonlyMap<string, Float32Array>): void {
    this.store.assign(values);
  }

  /** Frees the weights. */
  dispose(): void {
    this.store.dispose();
  }
}
