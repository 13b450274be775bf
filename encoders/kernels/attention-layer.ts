/**
 * One pre-norm Transformer encoder layer as a single differentiable op (`tf.customGrad`) with a
 * hand-written backward pass: `h = x + attn(LN1 x)·Wo + bo`, `y = h + relu(LN2 h·W1 + b1)·W2 + b2`.
 *
 * Why: tfjs autodiff keeps every forward intermediate of every layer until the backward pass,
 * and every gradient it produces until the backward pass *ends*, so a train step's memory grows
 * with ~40 token-sized tensors plus the attention scores per layer; two layers did not fit the
 * 4 GB wasm heap at the reference batch. This op keeps five token-sized tensors per layer (the
 * input, Q|K|V, the attention output, h and the feed-forward activation: the ones whose
 * recomputation would cost a large product) and recomputes the cheap rest in its backward pass
 * (both LayerNorms, the attention probabilities block by block, attention.ts). Its backward pass
 * frees its intermediates before returning, so only the gradients it returns outlive it.
 */
import * as tf from '@tensorflow/tfjs';
import type { AttentionIndex } from './attention-blocks.js';
import { attentionBackward, attentionForward } from './attention.js';
import { dense, type EncoderLayerWeights, LAYER_NORM_EPSILON, type LinearWeights, type NormWeights } from './attention-plain.js';

/** `(x − mean)·rstd` and `rstd` per row: what LayerNorm's backward pass needs. */
function normalized(x: tf.Tensor2D): { xhat: tf.Tensor2D; rstd: tf.Tensor2D } {
  const { mean, variance } = tf.moments(x, 1, true);
  const rstd = tf.rsqrt(tf.add(variance, LAYER_NORM_EPSILON)) as tf.Tensor2D;
  return { xhat: tf.mul(tf.sub(x, mean), rstd), rstd };
}

/** LayerNorm's gradients from the upstream `dy` (recomputes the normalisation of `x`). */
function layerNormBackward(x: tf.Tensor2D, norm: NormWeights, dy: tf.Tensor2D): { dx: tf.Tensor2D; dGamma: tf.Tensor1D; dBeta: tf.Tensor1D } {
  const { xhat, rstd } = normalized(x);
  const dGamma = tf.sum(tf.mul(dy, xhat), 0) as tf.Tensor1D;
  const dBeta = tf.sum(dy, 0) as tf.Tensor1D;
  const g = tf.mul(dy, norm.gamma);
  // dx = rstd · (g − mean(g) − x̂ · mean(g ∘ x̂)), per row.
  const dx = tf.mul(rstd, tf.sub(tf.sub(g, tf.mean(g, 1, true)), tf.mul(xhat, tf.mean(tf.mul(g, xhat), 1, true)))) as tf.Tensor2D;
  return { dx, dGamma, dBeta };
}

/** A dense layer's gradients `[dInput, dW, dB]` from its input `a` and upstream `dy`. */
function denseBackward(a: tf.Tensor2D, layer: LinearWeights, dy: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D] {
  return [tf.matMul(dy, layer.w, false, true), tf.matMul(a, dy, true, false), tf.sum(dy, 0) as tf.Tensor1D];
}

function layerNormForward(x: tf.Tensor2D, norm: NormWeights): tf.Tensor2D {
  return tf.tidy(() => {
    const { xhat } = normalized(x);
    return tf.add(tf.mul(xhat, norm.gamma), norm.beta);
  });
}

/** The weights in the order of the op's tensor inputs after `x`. */
function flatWeights(w: EncoderLayerWeights): tf.Tensor[] {
  return [w.norm1.gamma, w.norm1.beta, w.qkv.w, w.qkv.b, w.out.w, w.out.b, w.norm2.gamma, w.norm2.beta, w.ff1.w, w.ff1.b, w.ff2.w, w.ff2.b];
}

function unflatWeights(t: tf.Tensor[]): EncoderLayerWeights {
  const [g1, b1, wqkv, bqkv, wo, bo, g2, b2, w1, bf1, w2, bf2] = t as [
    tf.Tensor1D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D,
    tf.Tensor1D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D,
  ];
  return {
    norm1: { gamma: g1, beta: b1 },
    qkv: { w: wqkv, b: bqkv },
    out: { w: wo, b: bo },
    norm2: { gamma: g2, beta: b2 },
    ff1: { w: w1, b: bf1 },
    ff2: { w: w2, b: bf2 },
  };
}

/** The backward pass: gradients of `x` and of the twelve weights, in input order. */
function layerBackward(saved: tf.Tensor[], w: EncoderLayerWeights, dy: tf.Tensor2D, index: AttentionIndex, heads: number): tf.Tensor[] {
  const [x, qkv, context, h, f] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  // Feed-forward block: y = h + f·W2 + b2, f = relu(LN2(h)·W1 + b1).
  const [dh, ...dFf] = tf.tidy((): tf.Tensor[] => {
    const [df, dW2, db2] = denseBackward(f, w.ff2, dy);
    // f > 0 exactly where the pre-activation is, so f gives the ReLU mask.
    const du = tf.mul<tf.Tensor2D>(df, tf.step(f));
    const [dn2, dW1, db1] = denseBackward(layerNormForward(h, w.norm2), w.ff1, du);
    const norm2 = layerNormBackward(h, w.norm2, dn2);
    return [tf.add(dy, norm2.dx), norm2.dGamma, norm2.dBeta, dW1, db1, dW2, db2];
  });
  // Attention block: h = x + context·Wo + bo, context = attn(LN1(x)·Wqkv + bqkv).
  const [dContext, dWo, dbo] = denseBackward(context, w.out, dh as tf.Tensor2D);
  const dQkv = attentionBackward(qkv, context, dContext, index, heads);
  dContext.dispose();
  const [dx, ...dAttn] = tf.tidy((): tf.Tensor[] => {
    const [dn1, dWqkv, dbqkv] = denseBackward(layerNormForward(x, w.norm1), w.qkv, dQkv);
    const norm1 = layerNormBackward(x, w.norm1, dn1);
    return [tf.add(dh!, norm1.dx), norm1.dGamma, norm1.dBeta, dWqkv, dbqkv];
  });
  dQkv.dispose();
  dh!.dispose();
  return [dx!, ...dAttn, dWo, dbo, ...dFf];
}

/**
 * One pre-norm encoder layer (see the file comment) over token rows `x: [tokens, d]`. Same values
 * and gradients as {@link plainEncoderLayer} (attention-plain.ts) within float32 rounding, at a
 * fraction of its training memory; the backward pass costs one extra attention-score product
 * per block and a few elementwise passes.
 */
export function checkpointedEncoderLayer(x: tf.Tensor2D, weights: EncoderLayerWeights, index: AttentionIndex, heads: number): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[13] as tf.GradSaveFunc;
    const input = args[0] as tf.Tensor2D;
    const w = unflatWeights(args.slice(1, 13) as tf.Tensor[]);
    // The op's forward runs inside a tidy (tfjs customGrad): all but the saved tensors and the value are freed.
    const qkv = dense(layerNormForward(input, w.norm1), w.qkv);
    const context = attentionForward(qkv, index, heads);
    const h = tf.add(input, dense(context, w.out)) as tf.Tensor2D;
    const f = dense(layerNormForward(h, w.norm2), w.ff1, 'relu');
    const value = tf.add(h, dense(f, w.ff2)) as tf.Tensor2D;
    save([input, qkv, context, h, f]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => layerBackward(saved, w, dy as tf.Tensor2D, index, heads);
    return { value, gradFunc };
  });
  return op(x, ...flatWeights(weights)) as tf.Tensor2D;
}
