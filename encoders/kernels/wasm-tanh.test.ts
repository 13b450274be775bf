import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { disableNativeKernels, enableHeapKernels } from './native-kernels.js';
import { uniform } from './kernel-test-utils.js';

await tf.setBackend('wasm');
await tf.ready();

function tanhOn(values: Float32Array, simd: boolean): Float32Array {
  disableNativeKernels();
  if (simd) assert.equal(enableHeapKernels(), true);
  const result = tf.tidy(() => Float32Array.from(tf.tanh(tf.tensor1d(values)).dataSync()));
  disableNativeKernels();
  return result;
}

describe('SIMD Tanh on wasm', () => {
  test('equals Math.tanh within 2e-7 absolute and 2e-6 relative, tiny and huge inputs included', () => {
    const values = Float32Array.from([...uniform(2000, 1).map((v) => v * 12), 0, -0, 1e-8, -3e-5, 0.0624, 0.0626, -0.0625, 40, -40, Infinity, -Infinity]);
    const simd = tanhOn(values, true);
    for (let i = 0; i < values.length; i++) {
      const expected = Math.tanh(values[i]);
      const error = Math.abs(simd[i] - expected);
      assert.ok(error <= 2e-7 && error <= 2e-6 * Math.abs(expected) + 1e-30, `tanh(${values[i]}) = ${simd[i]}, expected ${expected}`);
    }
    assert.ok(Number.isNaN(tanhOn(Float32Array.of(NaN), true)[0]));
  });

  test('matches the stock kernel, gradients included, and frees its scratch', () => {
    const values = uniform(500, 2).map((v) => v * 5);
    const stock = tanhOn(values, false);
    const simd = tanhOn(values, true);
    for (let i = 0; i < values.length; i++) assert.ok(Math.abs(simd[i] - stock[i]) <= 2e-7);
    enableHeapKernels();
    const dataIds = tf.backend().numDataIds();
    const grad = tf.tidy(() => Array.from(tf.grad((x: tf.Tensor) => tf.sum(tf.tanh(x)))(tf.tensor1d([0.5, -2])).dataSync()));
    assert.equal(tf.backend().numDataIds(), dataIds);
    disableNativeKernels();
    grad.forEach((g, i) => assert.ok(Math.abs(g - (1 - Math.tanh([0.5, -2][i]) ** 2)) <= 1e-6));
  });
});
