import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../data/random.js';
import { initBackend } from './backend.js';
import { randomBatch, testModel as model } from './model-test-helpers.js';
import type { EventBatch } from './packed-batch.js';
import { fusedGruEnabled } from './recurrent-cells.js';
import type { SequenceModel } from './sequence-model.js';

/** Row `b` of a batch as a batch of one, with a different padding stride. */
function single(batch: EventBatch, b: number, stride: number): EventBatch {
  const len = batch.lengths[b]!;
  const cat = new Int32Array(stride);
  const amt = new Float32Array(stride);
  cat.set(batch.categorical.mcc!.subarray(b * batch.maxLength, b * batch.maxLength + len));
  amt.set(batch.numeric.amount!.subarray(b * batch.maxLength, b * batch.maxLength + len));
  return { size: 1, maxLength: stride, lengths: Int32Array.of(len), categorical: { mcc: cat }, numeric: { amount: amt } };
}

function weight(m: SequenceModel, name: string): Float32Array {
  const p = m.parameters().find((q) => q.name === name);
  assert.ok(p, `parameter ${name}`);
  return p.variable.dataSync() as Float32Array;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** PyTorch's GRU equations in a plain loop over one sequence (inference: BN with running stats 0/1). */
function naiveGru(m: SequenceModel, batch: EventBatch, b: number): number[] {
  const H = 8;
  const [emb, wx, bx, wh, bh, h0] = ['event/embedding/mcc', 'gru/l0/fwd/wx', 'gru/l0/fwd/bx', 'gru/l0/fwd/wh', 'gru/l0/fwd/bh', 'gru/l0/fwd/h0'].map((n) => weight(m, n));
  const inSize = 4;
  let h = Array.from(h0!, Math.tanh);
  for (let t = 0; t < batch.lengths[b]!; t++) {
    const id = batch.categorical.mcc![b * batch.maxLength + t]!;
    const x = [...emb!.subarray(id * 3, id * 3 + 3), batch.numeric.amount![b * batch.maxLength + t]! / Math.sqrt(1 + 1e-5)];
    const gx = (g: number): number => x.reduce((s, v, i) => s + v * wx![i * 3 * H + g]!, bx![g]!);
    const gh = (g: number): number => h.reduce((s, v, i) => s + v * wh![i * 3 * H + g]!, bh![g]!);
    const next: number[] = [];
    for (let j = 0; j < H; j++) {
      const r = sigmoid(gx(j) + gh(j));
      const z = sigmoid(gx(H + j) + gh(H + j));
      const n = Math.tanh(gx(2 * H + j) + r * gh(2 * H + j));
      next.push((1 - z) * n + z * h[j]!);
    }
    h = next;
    void inSize;
  }
  return h;
}

describe('SequenceModel', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
  });

  it('GRU matches PyTorch equations computed in a plain loop', () => {
    const m = model({ encoder: 'gru' });
    const batch = randomBatch(1, [5, 2, 7, 1, 7]);
    const out = m.embed(batch);
    const rows = out.arraySync();
    out.dispose();
    for (let b = 0; b < batch.size; b++) {
      const expected = naiveGru(m, batch, b);
      expected.forEach((v, j) => assert.ok(Math.abs(v - rows[b]![j]!) < 1e-4, `seq ${b} unit ${j}: ${rows[b]![j]} vs ${v}`));
    }
    m.dispose();
  });

  for (const options of [
    { encoder: 'gru', layers: 2, bidirectional: true },
    { encoder: 'lstm', layers: 2, bidirectional: true },
    { encoder: 'transformer', layers: 2, heads: 2 },
  ] as const) {
    const label = `${options.encoder} (2 layers${'bidirectional' in options ? ', bidirectional' : ''})`;

    it(`${label}: a sequence's embedding does not depend on the rest of the batch or the padding`, () => {
      const m = model(options);
      // 70 sequences: more than one transformer attention block (64).
      const batch = randomBatch(2, [6, 3, 9, 1, 9, 4, ...Array.from({ length: 64 }, (_, i) => 1 + ((i * 7) % 12))]);
      const all = m.embed(batch);
      const rows = all.arraySync();
      all.dispose();
      for (const b of [0, 3, 4, 40, 69]) {
        const one = m.embed(single(batch, b, 13));
        const row = one.arraySync()[0]!;
        one.dispose();
        row.forEach((v, j) => assert.ok(Math.abs(v - rows[b]![j]!) < 1e-5, `seq ${b} unit ${j}: ${v} vs ${rows[b]![j]}`));
      }
      m.dispose();
    });

    it(`${label}: every gradient is finite and non-zero, and no tensor leaks`, () => {
      const m = model(options);
      const batch = randomBatch(3, [6, 3, 9, 1, 9, 4]);
      const packed = m.pack(batch);
      const rng = new Rng(1);
      const beforeCount = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(m.forward(packed, { training: true, rng }))) as tf.Scalar, m.trainableVariables());
      assert.ok(Number.isFinite(value.dataSync()[0]!));
      for (const [name, g] of Object.entries(grads)) {
        const data = g.dataSync();
        assert.ok(data.every(Number.isFinite), `finite gradient for ${name}`);
        // The embedding padding row is never looked up; everything else must receive gradient.
        assert.ok(data.some((v) => v !== 0), `non-zero gradient for ${name}`);
      }
      value.dispose();
      tf.dispose(grads);
      assert.equal(tf.memory().numTensors, beforeCount, 'no leaked tensors');
      m.dispose();
    });
  }

  it('the fused OpenBLAS GRU (when active) and the step loop agree in embeddings and gradients', (t) => {
    if (!fusedGruEnabled()) {
      t.skip('native kernels not active (no OpenBLAS)');
      return;
    }
    const m = model({ encoder: 'gru', layers: 2, bidirectional: true });
    const packed = m.pack(randomBatch(4, [6, 3, 9, 1, 9, 4]));
    const run = (fused: boolean): { value: Float32Array; grads: Float32Array[] } => {
      process.env.MELES_FUSED_GRU = fused ? '1' : '0';
      try {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(m.forward(packed, { training: false }))) as tf.Scalar, m.trainableVariables());
        const out = { value: value.dataSync() as Float32Array, grads: Object.values(grads).map((g) => g.dataSync() as Float32Array) };
        tf.dispose([value, grads]);
        return out;
      } finally {
        delete process.env.MELES_FUSED_GRU;
      }
    };
    const loop = run(false);
    const fused = run(true);
    assert.ok(Math.abs(loop.value[0]! - fused.value[0]!) < 1e-4 * Math.abs(loop.value[0]!));
    loop.grads.forEach((g, i) => g.forEach((v, j) => assert.ok(Math.abs(v - fused.grads[i]![j]!) < 1e-4 + 1e-3 * Math.abs(v), `grad ${i}[${j}]: ${v} vs ${fused.grads[i]![j]}`)));
    m.dispose();
  });

  it('same seed gives identical initial weights; different seeds differ', () => {
    const a = model({ encoder: 'lstm' }, 7);
    const b = model({ encoder: 'lstm' }, 7);
    const c = model({ encoder: 'lstm' }, 8);
    assert.deepEqual(weight(a, 'lstm/l0/fwd/wh'), weight(b, 'lstm/l0/fwd/wh'));
    assert.notDeepEqual(weight(a, 'lstm/l0/fwd/wh'), weight(c, 'lstm/l0/fwd/wh'));
    for (const m of [a, b, c]) m.dispose();
  });
});
