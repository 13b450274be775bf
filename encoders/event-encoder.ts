/**
 * Turns each event into a vector: one embedding table per categorical column (row 0 = padding,
 * never looked up because packed batches hold no padding), numeric columns through a batch norm
 * computed over real events only, concatenated (categoricals first, in config order), then an
 * optional linear projection. Mirrors ptls `TrxEncoder` with `use_batch_norm_with_lens`.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../data/random.js';
import type { EventEncoderConfig } from './encoder-config.js';
import { eventWidth } from './encoder-config.js';
import type { PackedBatch } from './packed-batch.js';
import { constantInit, normalInit, ParameterStore, uniformInit } from './parameters.js';

/** How a forward pass runs. */
export interface ForwardMode {
  /** Training: batch statistics, noise, running-stat updates. */
  readonly training: boolean;
  /** Source of the embedding noise while training (deterministic per seed). */
  readonly rng?: Rng;
  /**
   * Batch-wide values drawn or computed once for a whole batch ({@link EventEncoder.batchShared}),
   * when the batch's forward pass runs in shards on several threads (training/parallel/): used
   * instead of drawing noise from `rng` and instead of this shard's own batch-norm statistics, so
   * every shard sees the values the whole batch would. @defaultValue absent (draw and compute here)
   */
  readonly shared?: BatchShared;
}

/** See {@link ForwardMode.shared}. Plain arrays, so it can be posted to a worker thread. */
export interface BatchShared {
  /** Per categorical column (config order): the noise vector added to every embedding, or `null` for none. */
  readonly noise: readonly (Float32Array | null)[];
  /** Batch-norm mean and (biased) variance of the numeric columns over the whole batch; absent: use the running statistics. */
  readonly numeric?: { readonly mean: Float32Array; readonly variance: Float32Array };
}

// PyTorch's BatchNorm1d defaults, so statistics behave as in the reference implementation.
const BN_MOMENTUM = 0.1;
const BN_EPSILON = 1e-5;

/** The event encoder of one model; its parameters live in the model's {@link ParameterStore}. */
export class EventEncoder {
  /** Width of the output vectors. */
  readonly width: number;
  private readonly tables: tf.Variable[];
  private readonly bn?: { gamma: tf.Variable; beta: tf.Variable; mean: tf.Variable; variance: tf.Variable };
  private readonly projection?: { w: tf.Variable; b: tf.Variable };

  constructor(
    readonly config: EventEncoderConfig,
    store: ParameterStore,
    rng: Rng,
  ) {
    this.tables = config.categorical.map((c) => {
      // N(0, 1) like nn.Embedding, with the padding row zeroed like padding_idx=0.
      const init = normalInit(rng, c.vocabularySize * c.dim, 1);
      init.fill(0, 0, c.dim);
      return store.add(`event/embedding/${c.name}`, [c.vocabularySize, c.dim], init);
    });
    const k = config.numeric.length;
    if (k > 0 && config.batchNorm) {
      this.bn = {
        gamma: store.add('event/batch_norm/gamma', [k], constantInit(k, 1)),
        beta: store.add('event/batch_norm/beta', [k], constantInit(k, 0)),
        mean: store.add('event/batch_norm/running_mean', [k], constantInit(k, 0), false),
        variance: store.add('event/batch_norm/running_var', [k], constantInit(k, 1), false),
      };
    }
    const raw = config.categorical.reduce((sum, c) => sum + c.dim, 0) + k;
    if (config.projection > 0) {
      const bound = 1 / Math.sqrt(raw);
      this.projection = {
        w: store.add('event/projection/w', [raw, config.projection], uniformInit(rng, raw * config.projection, bound)),
        b: store.add('event/projection/b', [config.projection], uniformInit(rng, config.projection, bound)),
      };
    }
    this.width = eventWidth(config);
  }

  /** Encodes every packed event: `[events, width]`. Call inside `tf.tidy` or a gradient function. */
  forward(packed: PackedBatch, mode: ForwardMode): tf.Tensor2D {
    const parts: tf.Tensor2D[] = this.config.categorical.map((c, i) => {
      const ids = clampIds(packed.categorical[c.name]!, c.vocabularySize);
      let emb = tf.gather(this.tables[i]!, tf.tensor1d(ids, 'int32')) as tf.Tensor2D;
      if (mode.shared !== undefined) {
        const noise = mode.shared.noise[i];
        return noise === null || noise === undefined ? emb : tf.add(emb, tf.tensor1d(noise));
      }
      if (mode.training && this.config.embeddingNoise > 0 && mode.rng) {
        const noise = new Float32Array(c.dim);
        for (let d = 0; d < c.dim; d++) noise[d] = mode.rng.normal() * this.config.embeddingNoise;
        emb = tf.add(emb, tf.tensor1d(noise));
      }
      return emb;
    });
    if (this.config.numeric.length > 0) parts.push(this.numeric(packed, mode));
    let x = parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
    if (this.projection) x = tf.fused.matMul({ a: x, b: this.projection.w as tf.Tensor2D, bias: this.projection.b }) as tf.Tensor2D;
    return x;
  }

  /**
   * The batch-wide values of a training forward pass over `packed` (the whole batch), drawn and
   * computed exactly as {@link EventEncoder.forward} would: the noise from `mode.rng` in the same
   * order, the numeric batch-norm moments over all of the batch's events, and the same update of
   * the running statistics. Shards of the batch then run with `{...mode, shared}`.
   */
  batchShared(packed: PackedBatch, mode: ForwardMode): BatchShared {
    const noise = this.config.categorical.map((c) => {
      if (!(mode.training && this.config.embeddingNoise > 0 && mode.rng)) return null;
      const values = new Float32Array(c.dim);
      for (let d = 0; d < c.dim; d++) values[d] = mode.rng.normal() * this.config.embeddingNoise;
      return values;
    });
    const n = packed.events;
    if (this.config.numeric.length === 0 || !this.bn || !mode.training || n < 2) return { noise };
    const bn = this.bn;
    const numeric = tf.tidy(() => {
      const k = this.config.numeric.length;
      const values = new Float32Array(n * k);
      this.config.numeric.forEach((name, j) => {
        const column = packed.numeric[name]!;
        for (let r = 0; r < n; r++) values[r * k + j] = column[r]!;
      });
      const { mean, variance } = tf.moments(tf.tensor2d(values, [n, k]), 0);
      const unbiased = tf.mul(variance, n / (n - 1));
      bn.mean.assign(tf.add(tf.mul(bn.mean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
      bn.variance.assign(tf.add(tf.mul(bn.variance, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
      return { mean: mean.dataSync() as Float32Array, variance: variance.dataSync() as Float32Array };
    });
    return { noise, numeric };
  }

  private numeric(packed: PackedBatch, mode: ForwardMode): tf.Tensor2D {
    const k = this.config.numeric.length;
    const n = packed.events;
    const values = new Float32Array(n * k);
    this.config.numeric.forEach((name, j) => {
      const column = packed.numeric[name]!;
      for (let r = 0; r < n; r++) values[r * k + j] = column[r]!;
    });
    const x = tf.tensor2d(values, [n, k]);
    if (!this.bn) return x;
    const bn = this.bn;
    if (mode.shared?.numeric !== undefined) {
      const { mean, variance } = mode.shared.numeric;
      return tf.add(tf.mul(tf.div(tf.sub(x, tf.tensor1d(mean)), tf.sqrt(tf.add(tf.tensor1d(variance), BN_EPSILON))), bn.gamma), bn.beta);
    }
    if (!mode.training || n < 2 || mode.shared !== undefined) {
      return tf.add(tf.mul(tf.div(tf.sub(x, bn.mean), tf.sqrt(tf.add(bn.variance, BN_EPSILON))), bn.gamma), bn.beta);
    }
    const { mean, variance } = tf.moments(x, 0);
    // Running statistics as PyTorch keeps them (unbiased variance), outside the gradient.
    tf.tidy(() => {
      const unbiased = tf.mul(variance, n / (n - 1));
      bn.mean.assign(tf.add(tf.mul(bn.mean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
      bn.variance.assign(tf.add(tf.mul(bn.variance, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
    });
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, BN_EPSILON))), bn.gamma), bn.beta);
  }
}

/** Indices outside the table (a vocabulary grew after training) map to 1, the reserved unseen row. */
function clampIds(ids: Int32Array, size: number): Int32Array {
  let ok = true;
  for (let r = 0; r < ids.length; r++) {
    if (ids[r]! < 0 || ids[r]! >= size) {
      ok = false;
      break;
    }
  }
  if (ok) return ids;
  return ids.map((v) => (v < 0 || v >= size ? 1 : v));
}
