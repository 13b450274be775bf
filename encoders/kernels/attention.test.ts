import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../data/random.js';
import { packBatch, type PackedBatch } from '../packed-batch.js';
import { ParameterStore } from '../parameters.js';
import { TransformerEncoder } from '../transformer-encoder.js';
import { attentionIndex, type AttentionIndex } from './attention-blocks.js';
import { checkpointedEncoderLayer } from './attention-layer.js';
import { type EncoderLayerWeights, plainAttention, plainEncoderLayer } from './attention-plain.js';
import { blockAttention } from './attention.js';
import { registerUnsortedSegmentSumForWasm } from './wasm-unsorted-segment-sum.js';
import { assertClose, prepareWasm, runIn, seeded, useMode, type KernelMode } from './kernel-test-utils.js';

const { available, reason } = await prepareWasm();
// The plain reference's gather gradient needs UnsortedSegmentSum, which stock wasm lacks (initBackend registers it).
registerUnsortedSegmentSumForWasm();
if (!available) console.log(`# attention tests run on the stock wasm kernels only: ${reason}`);
const modes: KernelMode[] = available ? ['native', 'stock'] : ['stock'];

/** A packed batch with these lengths (only the layout matters here: no feature columns). */
function packed(lengths: number[]): PackedBatch {
  const maxLength = Math.max(...lengths);
  return packBatch({ size: lengths.length, maxLength, lengths: Int32Array.from(lengths), categorical: {}, numeric: {} }, [], []);
}

/** Seeded layer weights (non-trivial norms, so their gradients are exercised). */
function layerWeights(d: number, ff: number, seed: number): EncoderLayerWeights {
  const vec = (size: number, s: number, base: number): tf.Tensor1D => tf.add(seeded([size], s), base) as tf.Tensor1D;
  const mat = (rows: number, cols: number, s: number): tf.Tensor2D => tf.mul(seeded([rows, cols], s), 1 / Math.sqrt(rows)) as tf.Tensor2D;
  return {
    norm1: { gamma: vec(d, seed, 1), beta: vec(d, seed + 1, 0) },
    qkv: { w: mat(d, 3 * d, seed + 2), b: vec(3 * d, seed + 3, 0) },
    out: { w: mat(d, d, seed + 4), b: vec(d, seed + 5, 0) },
    norm2: { gamma: vec(d, seed + 6, 1), beta: vec(d, seed + 7, 0) },
    ff1: { w: mat(d, ff, seed + 8), b: vec(ff, seed + 9, 0) },
    ff2: { w: mat(ff, d, seed + 10), b: vec(d, seed + 11, 0) },
  };
}

const flat = (w: EncoderLayerWeights): tf.Tensor[] => [w.norm1.gamma, w.norm1.beta, w.qkv.w, w.qkv.b, w.out.w, w.out.b, w.norm2.gamma, w.norm2.beta, w.ff1.w, w.ff1.b, w.ff2.w, w.ff2.b];

/** Value of Σ out ∘ R and its gradients, for the attention op alone. */
function attentionGrads(kind: 'block' | 'plain', index: AttentionIndex, d: number, heads: number): () => tf.Tensor[] {
  return () => {
    const qkv = tf.mul(seeded([index.tokens, 3 * d], 1), 2);
    const weights = seeded([index.tokens, d], 2);
    const f = (x: tf.Tensor): tf.Scalar => {
      const out = kind === 'block' ? blockAttention(x as tf.Tensor2D, index, heads) : plainAttention(x as tf.Tensor2D, index, heads);
      return tf.sum(tf.mul(out, weights));
    };
    const { value, grad } = tf.valueAndGrad(f)(qkv);
    return [value, grad];
  };
}

/** Value and gradients (input and all 12 weights) through `layers` stacked layers. */
function layerGrads(kind: 'checkpoint' | 'plain', index: AttentionIndex, d: number, heads: number, layers: number): () => tf.Tensor[] {
  return () => {
    const x = seeded([index.tokens, d], 3);
    const weights = Array.from({ length: layers }, (_, l) => layerWeights(d, 2 * d, 10 + 20 * l));
    const target = seeded([index.tokens, d], 4);
    const f = (...args: tf.Tensor[]): tf.Scalar => {
      let y = args[0] as tf.Tensor2D;
      for (const w of weights) y = kind === 'checkpoint' ? checkpointedEncoderLayer(y, w, index, heads) : plainEncoderLayer(y, w, index, heads);
      return tf.sum(tf.mul(y, target));
    };
    const { value, grads } = tf.valueAndGrads(f)([x, ...weights.flatMap(flat)]);
    return [value, ...grads];
  };
}

async function compare(label: string, make: (kind: 'new' | 'plain') => () => tf.Tensor[]): Promise<void> {
  for (const mode of modes) {
    const plain = await runIn(mode, make('plain'));
    const ours = await runIn(mode, make('new'));
    assert.equal(ours.length, plain.length);
    ours.forEach((v, i) => assertClose(v, plain[i]!, 1e-5, `${label} on ${mode}: output ${i}`));
  }
}

describe('blockwise attention with recomputation', () => {
  test('values and Q|K|V gradients equal plain tfjs attention within 1e-5 (several blocks, padding)', async () => {
    const rng = new Rng(5);
    const lengths = Array.from({ length: 19 }, () => rng.int(1, 17));
    // A small score budget forces blocks of a few sequences each, with padding in most of them.
    const index = attentionIndex(packed(lengths), 2, 2 * 4 * 18 * 18);
    assert.ok(index.blocks.length > 3, `expected several blocks, got ${index.blocks.length}`);
    await compare('attention', (kind) => attentionGrads(kind === 'new' ? 'block' : 'plain', index, 8, 2));
  });

  test('one sequence of length 1 (CLS + one event)', async () => {
    await compare('tiny attention', (kind) => attentionGrads(kind === 'new' ? 'block' : 'plain', attentionIndex(packed([1]), 1), 4, 1));
  });

  test('a checkpointed layer: output and all 13 gradients equal the plain layer within 1e-5', async () => {
    const index = attentionIndex(packed([7, 3, 9, 1, 9, 4, 2]), 2, 2 * 3 * 10 * 10);
    await compare('layer', (kind) => layerGrads(kind === 'new' ? 'checkpoint' : 'plain', index, 8, 2, 1));
  });

  test('two stacked checkpointed layers equal two plain layers within 1e-5', async () => {
    const rng = new Rng(9);
    const index = attentionIndex(packed(Array.from({ length: 12 }, () => rng.int(1, 14))), 4, 4 * 4 * 15 * 15);
    await compare('2 layers', (kind) => layerGrads(kind === 'new' ? 'checkpoint' : 'plain', index, 16, 4, 2));
  });

  test('a 2-layer TransformerEncoder trains the same with and without checkpointing; nothing leaks', async () => {
    const config = { kind: 'transformer', hidden: 16, layers: 2, heads: 4, feedForward: 24 } as const;
    const batch = packed([6, 3, 9, 1, 9, 4, 12, 2, 7]);
    const encoderGrads = (checkpoint: boolean) => (): tf.Tensor[] => {
      const store = new ParameterStore();
      const encoder = new TransformerEncoder(config, 5, store, new Rng(3), { checkpoint });
      const events = seeded([batch.events, 5], 6) as tf.Tensor2D;
      const variables = store.trainable();
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(encoder.forward(events, batch, { training: true }), seeded([batch.size, 16], 7))) as tf.Scalar, variables);
      const out = [value, ...variables.map((v) => grads[v.name]!)];
      // Copies: the store's variables are disposed before runIn reads the outputs.
      const copies = out.map((t) => t.clone());
      tf.dispose([...out, events]);
      store.dispose();
      return copies;
    };
    await compare('encoder', (kind) => encoderGrads(kind === 'new'));
    await useMode(modes[0]!);
    const before = tf.memory().numTensors;
    tf.dispose(encoderGrads(true)());
    assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  });
});
