/**
 * The fused OpenBLAS LSTM, wired into `LstmCell`, against the LSTM step loop through a whole
 * model (2 layers, bidirectional, unequal lengths). The fused GRU has the same check in
 * sequence-model.test.ts.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.js';
import { randomBatch, testModel } from './model-test-helpers.js';
import { fusedLstmEnabled } from './recurrent-cells.js';

describe('fused LSTM in a model', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
  });

  it('the fused OpenBLAS LSTM and the step loop agree in loss and every gradient, and nothing leaks', (t) => {
    if (!fusedLstmEnabled()) {
      t.skip('native kernels not active (no OpenBLAS)');
      return;
    }
    const m = testModel({ encoder: 'lstm', layers: 2, bidirectional: true }, 5);
    const packed = m.pack(randomBatch(6, [6, 3, 9, 1, 9, 4]));
    const run = (fused: boolean): { value: Float32Array; grads: Float32Array[] } => {
      process.env.MELES_FUSED_LSTM = fused ? '1' : '0';
      try {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(m.forward(packed, { training: false }))) as tf.Scalar, m.trainableVariables());
        const out = { value: Float32Array.from(value.dataSync()), grads: Object.values(grads).map((g) => Float32Array.from(g.dataSync())) };
        tf.dispose([value, grads]);
        return out;
      } finally {
        delete process.env.MELES_FUSED_LSTM;
      }
    };
    const loop = run(false);
    const tensors = tf.memory().numTensors;
    const fused = run(true);
    assert.equal(tf.memory().numTensors, tensors, 'no leaked tensors');
    assert.ok(Math.abs(loop.value[0]! - fused.value[0]!) <= 1e-5 * Math.max(1, Math.abs(loop.value[0]!)), `loss ${loop.value[0]} vs ${fused.value[0]}`);
    assert.equal(fused.grads.length, loop.grads.length);
    loop.grads.forEach((g, i) => g.forEach((v, j) => assert.ok(Math.abs(v - fused.grads[i]![j]!) <= 1e-5 * Math.max(1, Math.abs(v)), `grad ${i}[${j}]: ${v} vs ${fused.grads[i]![j]}`)));
    m.dispose();
  });
});
