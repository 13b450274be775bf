/**
 * Transformer sequence encoder (ptls `TransformerEncoder`): event vectors projected to the model
 * width plus sinusoidal positions, a learnable CLS token in front, pre-norm layers of multi-head
 * self-attention (built from matMul/softmax: tfjs exports no attention layer) and a feed-forward
 * block, a final LayerNorm; the output is the CLS token. Tokens stay packed (CLS rows, then real
 * events) for every per-token op; only attention gathers them into padded `[g, heads, S, S]`
 * blocks of length-sorted sequences, each padded to its own longest, with padding keys masked
 * out (kernels/attention-blocks.ts).
 *
 * Each layer is one checkpointed op (kernels/attention-layer.ts): its backward pass is written
 * by hand, recomputes LayerNorms and attention probabilities block by block, and keeps five
 * token-sized tensors per layer instead of tfjs autodiff's every intermediate and gradient. That
 * is what lets two layers train at the reference batch inside the 4 GB wasm heap (see
 * docs/PERFORMANCE.md, "Transformer memory"). `MELES_TRANSFORMER_CHECKPOINT=0` (or the
 * `checkpoint` option) selects the plain-autodiff layer instead, the reference it is tested against.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../data/random.js';
import type { TransformerConfig } from './encoder-config.js';
import type { ForwardMode } from './event-encoder.js';
import type { PackedBatch } from './packed-batch.js';
import { constantInit, normalInit, type ParameterStore, uniformInit } from './parameters.js';
import type { SequenceEncoder } from './sequence-encoder.js';
import { attentionIndex } from './kernels/attention-blocks.js';
import { checkpointedEncoderLayer } from './kernels/attention-layer.js';
import { dense, type EncoderLayerWeights, layerNorm, type LinearWeights, type NormWeights, plainEncoderLayer } from './kernels/attention-plain.js';

type Linear = LinearWeights;
type Norm = NormWeights;
type Layer = EncoderLayerWeights;

/** Options of {@link TransformerEncoder} beyond its architecture. */
export interface TransformerEncoderOptions {
  /**
   * Run each layer as the checkpointed op with a hand-written, recomputing backward pass
   * (kernels/attention-layer.ts) instead of plain tfjs ops under autodiff. Same values and
   * gradients within float32 rounding, a fraction of the training memory.
   * @defaultValue `true`, unless the environment sets `MELES_TRANSFORMER_CHECKPOINT=0`
   */
  readonly checkpoint?: boolean;
}

/** Transformer encoder; see the file comment. */
export class TransformerEncoder implements SequenceEncoder {
  readonly width: number;
  private readonly input: Linear;
  private readonly cls: tf.Variable;
  private readonly layers: Layer[] = [];
  private readonly finalNorm: Norm;
  private readonly checkpoint: boolean;

  constructor(
    readonly config: TransformerConfig,
    inputSize: number,
    private readonly store: ParameterStore,
    private readonly rng: Rng,
    options: TransformerEncoderOptions = {},
  ) {
    this.checkpoint = options.checkpoint ?? process.env.MELES_TRANSFORMER_CHECKPOINT !== '0';
    const d = config.hidden;
    this.input = this.linear('transformer/input', inputSize, d);
    this.cls = store.add('transformer/cls', [1, d], normalInit(rng, d, 1));
    for (let l = 0; l < config.layers; l++) {
      const p = `transformer/l${l}`;
      this.layers.push({
        norm1: this.norm(`${p}/norm1`, d),
        qkv: this.linear(`${p}/qkv`, d, 3 * d),
        out: this.linear(`${p}/out`, d, d),
        norm2: this.norm(`${p}/norm2`, d),
        ff1: this.linear(`${p}/ff1`, d, config.feedForward),
        ff2: this.linear(`${p}/ff2`, config.feedForward, d),
      });
    }
    this.finalNorm = this.norm('transformer/norm', d);
    this.width = d;
  }

  forward(events: tf.Tensor2D, packed: PackedBatch, _mode: ForwardMode): tf.Tensor2D {
    const { size: B } = packed;
    const d = this.config.hidden;
    const heads = this.config.heads;
    const index = attentionIndex(packed, heads);
    const projected = tf.add<tf.Tensor2D>(dense(events, this.input), tf.tensor2d(positions(packed, d), [packed.events, d]));
    let x: tf.Tensor2D = tf.concat([tf.tile(this.cls as tf.Tensor2D, [B, 1]), projected], 0);
    for (const layer of this.layers) {
      x = this.checkpoint ? checkpointedEncoderLayer(x, layer, index, heads) : plainEncoderLayer(x, layer, index, heads);
    }
    // CLS tokens are rows 0..B-1, already in the batch's original order.
    return layerNorm(tf.slice(x, [0, 0], [B, d]) as tf.Tensor2D, this.finalNorm);
  }

  private linear(name: string, inSize: number, outSize: number): Linear {
    const bound = 1 / Math.sqrt(inSize);
    return {
      w: this.store.add(`${name}/w`, [inSize, outSize], uniformInit(this.rng, inSize * outSize, bound)) as tf.Variable<tf.Rank.R2>,
      b: this.store.add(`${name}/b`, [outSize], constantInit(outSize, 0)) as tf.Variable<tf.Rank.R1>,
    };
  }

  private norm(name: string, size: number): Norm {
    return {
      gamma: this.store.add(`${name}/gamma`, [size], constantInit(size, 1)) as tf.Variable<tf.Rank.R1>,
      beta: this.store.add(`${name}/beta`, [size], constantInit(size, 0)) as tf.Variable<tf.Rank.R1>,
    };
  }
}

/** Sinusoidal encoding of each packed row's step (Vaswani et al.). */
function positions(packed: PackedBatch, d: number): Float32Array {
  const out = new Float32Array(packed.events * d);
  const row = new Float32Array(d);
  for (let t = 0; t < packed.steps; t++) {
    for (let j = 0; j < d; j += 2) {
      const angle = t / Math.pow(10000, j / d);
      row[j] = Math.sin(angle);
      if (j + 1 < d) row[j + 1] = Math.cos(angle);
    }
    for (let r = packed.offsets[t]!; r < packed.offsets[t + 1]!; r++) out.set(row, r * d);
  }
  return out;
}
