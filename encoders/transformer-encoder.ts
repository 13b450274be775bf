/**
 * Transformer sequence encoder (ptls `TransformerEncoder`): event vectors projected to the model
 * width plus sinusoidal positions, a learnable CLS token in front, pre-norm layers of multi-head
 * self-attention (built from matMul/softmax: tfjs exports no attention layer) and a feed-forward
 * block, a final LayerNorm; the output is the CLS token. Tokens stay packed (CLS rows, then real
 * events) for every per-token op; only attention gathers them into padded `[g, heads, S, S]`
 * blocks with padding keys masked out. Blocks hold up to {@link ATTENTION_BLOCK} sequences of
 * similar length (length-sorted; fewer when their scores would exceed {@link ATTENTION_BLOCK_SCORES}),
 * each padded to its own longest, which cuts the quadratic attention memory and work against
 * padding everything to the batch's longest sequence.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../data/random.js';
import type { TransformerConfig } from './encoder-config.js';
import type { ForwardMode } from './event-encoder.js';
import type { PackedBatch } from './packed-batch.js';
import { constantInit, normalInit, type ParameterStore, uniformInit } from './parameters.js';
import type { SequenceEncoder } from './sequence-encoder.js';

interface Linear {
  readonly w: tf.Variable;
  readonly b: tf.Variable;
}
interface Norm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
}
interface Layer {
  readonly norm1: Norm;
  readonly qkv: Linear;
  readonly out: Linear;
  readonly norm2: Norm;
  readonly ff1: Linear;
  readonly ff2: Linear;
}

/** Transformer encoder; see the file comment. */
export class TransformerEncoder implements SequenceEncoder {
  readonly width: number;
  private readonly input: Linear;
  private readonly cls: tf.Variable;
  private readonly layers: Layer[] = [];
  private readonly finalNorm: Norm;

  constructor(
    readonly config: TransformerConfig,
    inputSize: number,
    private readonly store: ParameterStore,
    private readonly rng: Rng,
  ) {
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
    const index = tokenIndex(packed, this.config.heads);
    const blocks = index.blocks.map((b) => ({ ...b, pad: tf.tensor1d(b.pad, 'int32'), keyBias: tf.tensor4d(b.keyBias, [b.count, 1, 1, b.length]) }));
    const unpadIndex = tf.tensor1d(index.unpad, 'int32');
    const projected = tf.add<tf.Tensor2D>(dense(events, this.input), tf.tensor2d(positions(packed, d), [packed.events, d]));
    let x: tf.Tensor2D = tf.concat([tf.tile(this.cls as tf.Tensor2D, [B, 1]), projected], 0);
    for (const layer of this.layers) {
      const attended = this.attention(layerNorm(x, layer.norm1), layer, blocks, unpadIndex);
      x = tf.add(x, attended);
      x = tf.add(x, dense(tf.relu(dense(layerNorm(x, layer.norm2), layer.ff1)), layer.ff2));
    }
    // CLS tokens are rows 0..B-1, already in the batch's original order.
    return layerNorm(tf.slice(x, [0, 0], [B, d]) as tf.Tensor2D, this.finalNorm);
  }

  private attention(x: tf.Tensor2D, layer: Layer, blocks: readonly AttentionBlock[], unpadIndex: tf.Tensor1D): tf.Tensor2D {
    const d = this.config.hidden;
    const h = this.config.heads;
    const dk = d / h;
    const qkv = dense(x, layer.qkv);
    const outputs = blocks.map(({ pad, keyBias, count, length }) => {
      const padded = tf.gather(qkv, pad) as tf.Tensor2D;
      const [q, k, v] = tf.split(padded, 3, 1).map((t) => tf.transpose(tf.reshape(t, [count, length, h, dk]), [0, 2, 1, 3]) as tf.Tensor4D) as [
        tf.Tensor4D,
        tf.Tensor4D,
        tf.Tensor4D,
      ];
      // Scaling q (small) instead of the scores (count·h·S²) saves one full-size tensor.
      const scores = tf.add(tf.matMul(tf.mul(q, 1 / Math.sqrt(dk)), k, false, true), keyBias);
      const context = tf.matMul(tf.softmax(scores), v);
      return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [count * length, d]) as tf.Tensor2D;
    });
    const merged = outputs.length === 1 ? outputs[0]! : tf.concat(outputs, 0);
    return dense(tf.gather(merged, unpadIndex) as tf.Tensor2D, layer.out);
  }

  private linear(name: string, inSize: number, outSize: number): Linear {
    const bound = 1 / Math.sqrt(inSize);
    return {
      w: this.store.add(`${name}/w`, [inSize, outSize], uniformInit(this.rng, inSize * outSize, bound)),
      b: this.store.add(`${name}/b`, [outSize], constantInit(outSize, 0)),
    };
  }

  private norm(name: string, size: number): Norm {
    return { gamma: this.store.add(`${name}/gamma`, [size], constantInit(size, 1)), beta: this.store.add(`${name}/beta`, [size], constantInit(size, 0)) };
  }
}

function dense(x: tf.Tensor2D, layer: Linear): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: layer.w as tf.Tensor2D, bias: layer.b }) as tf.Tensor2D;
}

function layerNorm(x: tf.Tensor2D, norm: Norm): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), norm.gamma), norm.beta);
}

/** Most sequences per attention block. */
export const ATTENTION_BLOCK = 64;
/** Most attention scores (sequences × heads × S²) per block, so long sequences (2000-event tails) fit the heap. */
export const ATTENTION_BLOCK_SCORES = 32 * 2 ** 20;

/** One block of length-sorted sequences: its gather index into token rows and its key mask. */
interface AttentionBlockIndex {
  readonly count: number;
  /** Padded length (CLS + the block's longest sequence). */
  readonly length: number;
  readonly pad: Int32Array;
  readonly keyBias: Float32Array;
}

type AttentionBlock = Omit<AttentionBlockIndex, 'pad' | 'keyBias'> & { readonly pad: tf.Tensor1D; readonly keyBias: tf.Tensor4D };

/**
 * Token rows: CLS of sequence b at row b, packed event r at row B + r. Each block lists, for each
 * padded position (i, s), the token row (padding points at row 0: its key is masked and its query
 * row is never read back); `unpad` maps each token row to its position in the concatenated blocks.
 */
function tokenIndex(packed: PackedBatch, heads: number): { blocks: AttentionBlockIndex[]; unpad: Int32Array } {
  const B = packed.size;
  const unpad = new Int32Array(B + packed.events);
  const blocks: AttentionBlockIndex[] = [];
  let base = 0;
  for (let first = 0, count = 0; first < B; first += count) {
    const length = packed.sortedLengths[first]! + 1;
    count = Math.max(1, Math.min(ATTENTION_BLOCK, B - first, Math.floor(ATTENTION_BLOCK_SCORES / (heads * length * length))));
    const pad = new Int32Array(count * length);
    const keyBias = new Float32Array(count * length).fill(-1e9);
    for (let j = 0; j < count; j++) {
      const i = first + j;
      const b = packed.order[i]!;
      const row = j * length;
      pad[row] = b;
      keyBias[row] = 0;
      unpad[b] = base + row;
      for (let t = 0; t < packed.sortedLengths[i]!; t++) {
        const token = B + packed.offsets[t]! + i;
        pad[row + t + 1] = token;
        keyBias[row + t + 1] = 0;
        unpad[token] = base + row + t + 1;
      }
    }
    blocks.push({ count, length, pad, keyBias });
    base += count * length;
  }
  return { blocks, unpad };
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
