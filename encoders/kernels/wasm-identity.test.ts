import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { seeded } from './kernel-test-utils.js';
import { disableNativeKernels, enableHeapKernels } from './native-kernels.js';

await tf.setBackend('wasm');
await tf.ready();

describe('shared-memory Identity on wasm', () => {
  test('a clone outlives its source, and disposing both frees the memory', () => {
    assert.equal(enableHeapKernels(), true);
    const backend = tf.backend();
    const dataIds = backend.numDataIds();
    const tensors = tf.memory().numTensors;
    const x = seeded([3, 4], 1);
    const expected = Array.from(x.dataSync());
    const y = tf.clone(x);
    assert.equal(backend.numDataIds(), dataIds + 1, 'the clone should share the source memory');
    x.dispose();
    assert.deepEqual(Array.from(y.dataSync()), expected);
    y.dispose();
    assert.equal(backend.numDataIds(), dataIds);
    assert.equal(tf.memory().numTensors, tensors);
    disableNativeKernels();
  });

  test('custom-gradient ops (which call Identity) give the same values and gradients as stock', () => {
    const model = (): number[] =>
      tf.tidy(() => {
        const w = seeded([4, 3], 2);
        const g = tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.fused.matMul({ a: seeded([5, 4], 3) as tf.Tensor2D, b: v as tf.Tensor2D, bias: seeded([3], 4) }))))(w);
        return Array.from(g.dataSync());
      });
    disableNativeKernels();
    const stock = model();
    enableHeapKernels();
    assert.deepEqual(model(), stock);
    disableNativeKernels();
  });

  test('strings still go through the stock kernel', () => {
    enableHeapKernels();
    const source = tf.tensor1d(['x', 'y'], 'string');
    const s = tf.clone(source);
    assert.deepEqual(s.arraySync(), ['x', 'y']);
    tf.dispose([source, s]);
    disableNativeKernels();
  });
});
