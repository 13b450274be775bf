import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.js';

describe('initBackend', () => {
  it('starts wasm and trains an embedding lookup (gather gradient) identically to cpu', async () => {
    const name = await initBackend('wasm', { quiet: true });
    assert.equal(name, 'wasm');
    const table = [[0.1, 0.2], [0.3, -0.4], [0.5, 0.6], [-0.7, 0.8]];
    const ids = [3, 1, 1, 0, 3, 3];
    const gradOn = (): number[][] =>
      tf.tidy(() => {
        const w = tf.tensor2d(table);
        const g = tf.grad((v: tf.Tensor) => tf.gather(v, tf.tensor1d(ids, 'int32')).square().sum())(w);
        return g.arraySync() as number[][];
      });
    const before = tf.memory().numTensors;
    const wasmGrad = gradOn();
    assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
    // Naive loop: d/dW[r] of sum over lookups of W[id]^2 is 2*W[r]*count(r).
    const expected = table.map((row, r) => row.map((v) => 2 * v * ids.filter((i) => i === r).length));
    for (let r = 0; r < table.length; r++) {
      for (let k = 0; k < 2; k++) assert.ok(Math.abs(wasmGrad[r]![k]! - expected[r]![k]!) < 1e-6);
    }
  });

  it('refuses to switch backends once one is running', async () => {
    await initBackend('wasm', { quiet: true });
    await assert.rejects(initBackend('cpu', { quiet: true }), /already running/);
  });
});
