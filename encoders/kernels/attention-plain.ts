/**
 * The Transformer encoder layer written with plain tfjs ops and left to tfjs autodiff: the
 * reference that the checkpointed layer (attention-layer.ts) must match, and the fallback the
 * encoder uses when `MELES_TRANSFORMER_CHECKPOINT=0`. It keeps every block's scores, softmax and
 * their gradients alive through the backward pass, so it needs several times the memory.
 */
import * as tf from '@tensorflow/tfjs';
import type { AttentionIndex } from './attention-blocks.js';

/** A dense layer's parameters: `y = x·w + b`. */
export interface LinearWeights {
  readonly w: tf.Tensor2D;
  readonly b: tf.Tensor1D;
}

/** A LayerNorm's parameters. */
export interface NormWeights {
  readonly gamma: tf.Tensor1D;
  readonly beta: tf.Tensor1D;
}

/** One pre-norm encoder layer: attention (fused Q|K|V projection, output projection) and feed-forward. */
export interface EncoderLayerWeights {
  readonly norm1: NormWeights;
  readonly qkv: LinearWeights;
  readonly out: LinearWeights;
  readonly norm2: NormWeights;
  readonly ff1: LinearWeights;
  readonly ff2: LinearWeights;
}

/** LayerNorm's variance epsilon (PyTorch's default). */
export const LAYER_NORM_EPSILON = 1e-5;

/** `x·w + b`, optionally through ReLU, as one fused product. */
export function dense(x: tf.Tensor2D, layer: LinearWeights, activation?: 'relu'): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: layer.w, bias: layer.b, ...(activation === undefined ? {} : { activation }) }) as tf.Tensor2D;
}

/** LayerNorm over the last axis (population variance, as PyTorch). */
export function layerNorm(x: tf.Tensor2D, norm: NormWeights): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 1, true);
  return tf.add<tf.Tensor2D>(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LAYER_NORM_EPSILON))), norm.gamma), norm.beta);
}

/** Multi-head attention over all blocks at once, with tfjs autodiff (the reference). */
export function plainAttention(qkv: tf.Tensor2D, index: AttentionIndex, heads: number): tf.Tensor2D {
  const d = qkv.shape[1] / 3;
  const dk = d / heads;
  const outputs = index.blocks.map(({ pad, keyBias, count, length }) => {
    const padded = tf.gather(qkv, tf.tensor1d(pad, 'int32')) as tf.Tensor2D;
    const [q, k, v] = tf.split(padded, 3, 1).map((t) => tf.transpose(tf.reshape(t, [count, length, heads, dk]), [0, 2, 1, 3]) as tf.Tensor4D) as [
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor4D,
    ];
    const scores = tf.add(tf.matMul(tf.mul(q, 1 / Math.sqrt(dk)), k, false, true), tf.tensor4d(keyBias, [count, 1, 1, length]));
    const context = tf.matMul(tf.softmax(scores), v);
    return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [count * length, d]) as tf.Tensor2D;
  });
  const merged = outputs.length === 1 ? outputs[0]! : tf.concat(outputs, 0);
  return tf.gather(merged, tf.tensor1d(index.unpad, 'int32')) as tf.Tensor2D;
}

/** One pre-norm encoder layer with plain ops: `h = x + attn(LN1 x)`, `y = h + FF(LN2 h)`. */
export function plainEncoderLayer(x: tf.Tensor2D, layer: EncoderLayerWeights, index: AttentionIndex, heads: number): tf.Tensor2D {
  const h = tf.add<tf.Tensor2D>(x, dense(plainAttention(dense(layerNorm(x, layer.norm1), layer.qkv), index, heads), layer.out));
  return tf.add<tf.Tensor2D>(h, dense(tf.relu(dense(layerNorm(h, layer.norm2), layer.ff1)), layer.ff2));
}
