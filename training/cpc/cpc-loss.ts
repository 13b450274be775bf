/**
 * The CPC loss of pytorch-lifestream's `CpcModule` / `CPC_Loss`: K linear heads (with bias, as
 * `torch.nn.Linear(embedding_size, trx_encoder.output_size)`) map the context `c_t` to predictions
 * of `z_{t+1} … z_{t+K}`; each valid prediction is scored by InfoNCE against the true `z_{t+k}` and
 * its sequence's negatives (see `cpc-layout.ts` for the sampling and the reduction). The heads are
 * this loss's own variables: optimise and checkpoint {@link CpcLoss.parameters} with the model's.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../data/random.js';
import type { PackedBatch } from '../../encoders/packed-batch.js';
import { type NamedParameter, ParameterStore, uniformInit } from '../../encoders/parameters.js';
import { ShapeError } from '../../errors.js';
import { infoNceLoss } from '../../metric/losses/info-nce.js';
import { expectInteger, expectKnownKeys } from '../../options.js';
import { type CpcLayout, cpcLayout } from './cpc-layout.js';

/** Options of {@link CpcLoss}. */
export interface CpcLossOptions {
  /** K: how many events ahead the heads predict (ptls `n_forward_steps`). Minimum: `1`. @defaultValue `6` */
  readonly steps: number;
  /**
   * Negatives drawn per sequence, shared by all its positions (ptls `n_negatives`); fewer when the
   * other sequences of the batch have fewer events. Minimum: `1`. @defaultValue `40`
   */
  readonly negatives: number;
  /** Seed of the heads' initial weights (PyTorch's `Linear` init, U(±1/√width)). @defaultValue `0` */
  readonly seed: number;
}

/** Defaults of {@link CpcLossOptions}: pytorch-lifestream `CpcModule`'s `CPC_Loss(n_negatives=40, n_forward_steps=6)`. */
export const CPC_DEFAULTS: CpcLossOptions = { steps: 6, negatives: 40, seed: 0 };

/** Widths the heads connect: the model's context width (`SequenceModel.width`) and event width (`eventWidth`). */
export interface CpcWidths {
  readonly context: number;
  readonly event: number;
}

/** CPC's prediction heads and InfoNCE loss over per-event outputs in packed order. */
export class CpcLoss {
  /** The validated options. */
  readonly options: CpcLossOptions;
  private readonly store = new ParameterStore();
  private readonly heads: { readonly w: tf.Variable; readonly b: tf.Variable }[] = [];

  constructor(
    readonly widths: CpcWidths,
    options: Partial<CpcLossOptions> = {},
  ) {
    expectKnownKeys('CPC loss options', options, Object.keys(CPC_DEFAULTS));
    const o = { ...CPC_DEFAULTS, ...options };
    expectInteger('steps', o.steps, 1, 1024);
    expectInteger('negatives', o.negatives, 1, 1 << 20);
    expectInteger('seed', o.seed);
    expectInteger('context width', widths.context, 1);
    expectInteger('event width', widths.event, 1);
    this.options = o;
    const rng = new Rng(o.seed);
    const bound = 1 / Math.sqrt(widths.context);
    for (let k = 1; k <= o.steps; k++) {
      const w = this.store.add(`cpc/head${k}/w`, [widths.context, widths.event], uniformInit(rng, widths.context * widths.event, bound));
      const b = this.store.add(`cpc/head${k}/b`, [widths.event], uniformInit(rng, widths.event, bound));
      this.heads.push({ w, b });
    }
  }

  /** Which rows the loss compares for `packed`, negatives drawn from `rng` (see `cpcLayout`). */
  layout(packed: PackedBatch, rng: Rng): CpcLayout {
    return cpcLayout(packed, this.options.steps, this.options.negatives, rng);
  }

  /**
   * The loss for per-event outputs `z` (`[events, event width]`) and `c` (`[events, context width]`)
   * in packed order. With no valid position (every sequence has one event) or no negative (one
   * sequence) the loss is 0, still connected to `z`, `c` and the heads so gradients are finite zeros.
   */
  call(z: tf.Tensor2D, c: tf.Tensor2D, layout: CpcLayout): tf.Scalar {
    const { context, event } = this.widths;
    const events = z.shape[0];
    if (z.shape[1] !== event || c.shape[1] !== context || c.shape[0] !== events) {
      throw new ShapeError(`CPC expects z [events, ${event}] and c [events, ${context}], got [${z.shape.join(', ')}] and [${c.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const K = this.options.steps;
      const w = K === 1 ? this.heads[0]!.w : tf.concat(this.heads.map((h) => h.w as tf.Tensor2D), 1);
      const b = K === 1 ? this.heads[0]!.b : tf.concat(this.heads.map((h) => h.b as tf.Tensor1D), 0);
      // Row e of [events, K · d] holds W_1 c_e … W_K c_e; as [events · K, d], row e · K + k − 1 is W_k c_e.
      const table = tf.reshape(tf.fused.matMul({ a: c, b: w as tf.Tensor2D, bias: b }), [events * K, event]) as tf.Tensor2D;
      if (layout.positions === 0 || layout.negativeSlots === 0) return tf.mul(tf.add(tf.sum(table), tf.sum(z)), 0) as tf.Scalar;
      const { groups: G, slots: S, negativeSlots: M } = layout;
      const rows = (source: tf.Tensor2D, index: Int32Array, n: number): tf.Tensor3D =>
        tf.reshape(tf.gather(source, tf.tensor1d(index, 'int32')), [G, n, event]);
      return infoNceLoss({
        queries: rows(table, layout.predictionRows, S),
        positives: rows(z, layout.targetRows, S),
        negatives: rows(z, layout.negativeRows, M),
        weights: layout.weights,
        negativeCounts: layout.negativeCounts,
      });
    });
  }

  /** The heads as named parameters (`cpc/head{k}/w` `[context, event]`, `cpc/head{k}/b`), for the optimizer and checkpoints. */
  parameters(): NamedParameter[] {
    return this.store.all();
  }

  /** The heads' variables. */
  trainableVariables(): tf.Variable[] {
    return this.store.trainable();
  }

  /** Overwrites the heads from a checkpoint (names as in {@link CpcLoss.parameters}). */
  setWeights(values: ReadonlyMap<string, Float32Array>): void {
    this.store.assign(values);
  }

  /** Frees the heads. */
  dispose(): void {
    this.store.dispose();
  }
}
