/**
 * The classification head of supervised training and fine-tuning (ptls `Head(objective=
 * 'classification')` on the sequence embedding): one linear layer on the raw embedding (PyTorch
 * `Linear` init, U(±1/√width)); binary → one logit, sigmoid log-loss on "label index 1";
 * multiclass → one logit per class, softmax cross-entropy. Losses are means over the batch.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../data/random.js';
import { type NamedParameter, ParameterStore, uniformInit } from '../../encoders/parameters.js';
import { ShapeError } from '../../errors.js';

/** Binary or multiclass classification. */
export type LabelledKind = 'binary' | 'multiclass';

/** A linear classification head; {@link LabelledHead.dispose} frees it. */
export class LabelledHead {
  /** Logits per row: 1 for binary, `classes` for multiclass. */
  readonly outputs: number;
  private readonly store = new ParameterStore();
  private readonly w: tf.Variable;
  private readonly b: tf.Variable;

  constructor(
    readonly width: number,
    readonly kind: LabelledKind,
    readonly classes: number,
    seed: number,
  ) {
    if (!Number.isInteger(classes) || classes < 2 || (kind === 'binary' && classes !== 2)) {
      throw new ShapeError(`A ${kind} head needs ${kind === 'binary' ? 'exactly 2' : 'at least 2'} classes, got ${classes}`);
    }
    this.outputs = kind === 'binary' ? 1 : classes;
    const rng = new Rng(seed);
    const bound = 1 / Math.sqrt(width);
    this.w = this.store.add('head/w', [width, this.outputs], uniformInit(rng, width * this.outputs, bound));
    this.b = this.store.add('head/b', [this.outputs], uniformInit(rng, this.outputs, bound));
  }

  /** Logits `[rows, outputs]`. Call inside `tf.tidy` or a gradient function. */
  logits(embeddings: tf.Tensor2D): tf.Tensor2D {
    return tf.fused.matMul({ a: embeddings, b: this.w as tf.Tensor2D, bias: this.b }) as tf.Tensor2D;
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

  /** `head/w` `[width, outputs]` and `head/b` `[outputs]`. */
  parameters(): NamedParameter[] {
    return this.store.all();
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
