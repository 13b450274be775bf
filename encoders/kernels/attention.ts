/**
 * Multi-head self-attention over length-sorted padded blocks, one block at a time, with a
 * backward pass that recomputes the attention probabilities (the FlashAttention idea at block
 * granularity).
 *
 * Under tfjs autodiff every intermediate of the forward pass is kept for the backward pass, and
 * every gradient tensor of the backward pass stays alive until the whole backward pass ends
 * (tfjs frees them only when its `backward` scope closes). For attention that is the scores,
 * their masked sum, the softmax and, in backward, the score gradients: several `batch × heads ×
 * S²` tensors per layer, the bulk of the 4 GB a one-layer train step reached. Here the forward
 * pass keeps nothing but its output; the backward pass recomputes each block's probabilities
 * from Q and K, uses them and frees them before the next block. So at most one block's scores
 * exist at any time (bounded by ATTENTION_BLOCK_SCORES), whatever the batch and the depth.
 *
 * The softmax statistics (row max and sum) are not stored: recomputing `softmax(QKᵀ + mask)` is
 * one fused wasm kernel, cheaper than rebuilding the probabilities from stored statistics with
 * tfjs ops (subtract, exp, divide). The backward pass uses FlashAttention's `D = rowsum(dO ∘ O)`,
 * which needs only the output rows, not a second score-sized product.
 */
import * as tf from '@tensorflow/tfjs';
import type { AttentionBlockIndex, AttentionIndex } from './attention-blocks.js';

/** Q (already scaled by 1/√dk), K and V of one block, `[count, heads, length, dk]` each. */
interface BlockHeads {
  readonly q: tf.Tensor4D;
  readonly k: tf.Tensor4D;
  readonly v: tf.Tensor4D;
}

/** `[count·length, d]` padded rows → `[count, heads, length, dk]`. */
function splitHeads(rows: tf.Tensor2D, block: AttentionBlockIndex, heads: number): tf.Tensor4D {
  const dk = rows.shape[1] / heads;
  return tf.transpose(tf.reshape(rows, [block.count, block.length, heads, dk]), [0, 2, 1, 3]);
}

/** `[count, heads, length, dk]` → `[count·length, d]` padded rows. */
function mergeHeads(x: tf.Tensor4D): tf.Tensor2D {
  const [count, heads, length, dk] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [count * length, heads * dk]);
}

function blockHeads(qkv: tf.Tensor2D, block: AttentionBlockIndex, heads: number): BlockHeads {
  const padded = tf.gather(qkv, tf.tensor1d(block.pad, 'int32')) as tf.Tensor2D;
  const [q, k, v] = tf.split(padded, 3, 1).map((t) => splitHeads(t as tf.Tensor2D, block, heads)) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  // Scaling q (small) instead of the scores (count·heads·S²) saves one score-sized tensor.
  return { q: tf.mul<tf.Tensor4D>(q, 1 / Math.sqrt(q.shape[3])), k, v };
}

/** `softmax(q·kᵀ + keyBias)`, freeing the raw scores as soon as they are summed. */
function probabilities({ q, k }: BlockHeads, block: AttentionBlockIndex): tf.Tensor4D {
  const scores = tf.matMul(q, k, false, true);
  const masked = tf.add<tf.Tensor4D>(scores, tf.tensor4d(block.keyBias, [block.count, 1, 1, block.length]));
  scores.dispose();
  const p = tf.softmax(masked) as tf.Tensor4D;
  masked.dispose();
  return p;
}

/** Concatenates per-block padded rows and reorders them into token rows. */
function unpadBlocks(perBlock: tf.Tensor2D[], index: AttentionIndex): tf.Tensor2D {
  return tf.tidy(() => {
    const merged = perBlock.length === 1 ? perBlock[0]! : tf.concat(perBlock, 0);
    return tf.gather(merged, tf.tensor1d(index.unpad, 'int32')) as tf.Tensor2D;
  });
}

/**
 * Attention context of every token, `[tokens, d]`, from the packed `[tokens, 3d]` projections
 * (Q | K | V, heads contiguous within each). Keeps no intermediate beyond one block.
 */
export function attentionForward(qkv: tf.Tensor2D, index: AttentionIndex, heads: number): tf.Tensor2D {
  const perBlock = index.blocks.map((block) =>
    tf.tidy(() => {
      const h = blockHeads(qkv, block, heads);
      const p = probabilities(h, block);
      return mergeHeads(tf.matMul(p, h.v));
    }),
  );
  const out = unpadBlocks(perBlock, index);
  tf.dispose(perBlock);
  return out;
}

/**
 * Gradient of {@link attentionForward} with respect to `qkv`, given its output `context` and the
 * output's gradient `dContext` (both `[tokens, d]`). Recomputes each block's probabilities.
 */
export function attentionBackward(qkv: tf.Tensor2D, context: tf.Tensor2D, dContext: tf.Tensor2D, index: AttentionIndex, heads: number): tf.Tensor2D {
  const d = context.shape[1];
  // Padding query rows point one past the last token, at this zero row: their outputs are never
  // read, so they must send no gradient into the real keys and values.
  const dExtended = tf.concat([dContext, tf.zeros([1, d])], 0);
  const perBlock = index.blocks.map((block) =>
    tf.tidy(() => {
      const h = blockHeads(qkv, block, heads);
      const p = probabilities(h, block);
      const dO = splitHeads(tf.gather(dExtended, tf.tensor1d(block.padQuery, 'int32')) as tf.Tensor2D, block, heads);
      const o = splitHeads(tf.gather(context, tf.tensor1d(block.pad, 'int32')) as tf.Tensor2D, block, heads);
      // D_i = Σ_j P_ij dP_ij = dO_i · O_i (FlashAttention): no score-sized product needed.
      const rowDot = tf.sum(tf.mul(dO, o), 3, true);
      const dv = tf.matMul<tf.Tensor4D>(p, dO, true, false);
      const dp = tf.matMul(dO, h.v, false, true);
      const centred = tf.sub<tf.Tensor4D>(dp, rowDot);
      dp.dispose();
      const ds = tf.mul<tf.Tensor4D>(p, centred);
      p.dispose();
      centred.dispose();
      const dq = tf.mul<tf.Tensor4D>(tf.matMul(ds, h.k), 1 / Math.sqrt(h.q.shape[3]));
      // scores = (q·scale)·kᵀ with the scaled q already in h.q, so dK = dSᵀ·(q·scale).
      const dk = tf.matMul<tf.Tensor4D>(ds, h.q, true, false);
      return tf.concat([mergeHeads(dq), mergeHeads(dk), mergeHeads(dv)], 1);
    }),
  );
  dExtended.dispose();
  const out = unpadBlocks(perBlock, index);
  tf.dispose(perBlock);
  return out;
}

/**
 * {@link attentionForward} as a differentiable op: its forward keeps only its input (Q, K, V) and
 * output; its gradient is {@link attentionBackward}. Same values and gradients as the plain tfjs
 * attention (attention-plain.ts) within float32 rounding.
 */
export function blockAttention(qkv: tf.Tensor2D, index: AttentionIndex, heads: number): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const value = attentionForward(input, index, heads);
    save([input, value]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [savedQkv, savedContext] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [attentionBackward(savedQkv, savedContext, dy as tf.Tensor2D, index, heads)];
    };
    return { value, gradFunc };
  });
  return op(qkv) as tf.Tensor2D;
}
