import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { jsGateActivation, wasmGateActivation } from './gate-activation.js';
import { uniform } from './kernel-test-utils.js';

describe('gate activations', () => {
  test('the wasm SIMD sigmoid on heap scratch equals the JavaScript one within 1e-6, and frees its memory', async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    const dataIds = tf.backend().numDataIds();
    const wasm = wasmGateActivation(tf.backend(), 1000);
    assert.ok(wasm !== null, 'expected the wasm variant on the wasm backend');
    const js = jsGateActivation(1000);
    const values = uniform(1000, 3).map((v) => v * 30);
    wasm.input.set(values);
    js.input.set(values);
    wasm.sigmoid(1000);
    js.sigmoid(1000);
    for (let i = 0; i < 1000; i++) assert.ok(Math.abs(wasm.output[i] - js.output[i]) <= 1e-6, `σ(${values[i]}): ${wasm.output[i]} vs ${js.output[i]}`);
    wasm.dispose();
    assert.equal(tf.backend().numDataIds(), dataIds);
  });

  test('on the cpu backend there is no wasm variant', async () => {
    await tf.setBackend('cpu');
    assert.equal(wasmGateActivation(tf.backend(), 10), null);
  });
});
