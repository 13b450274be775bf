import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, prepareWasm, runIn, seeded, useMode } from './kernel-test-utils.js';
import { nativeKernelCounters } from './native-kernels.js';

const { available, reason } = await prepareWasm();
const skip = available ? false : `OpenBLAS native kernels unavailable here: ${reason}`;
if (!available) console.log(`# skipping native gradient tests: ${reason}`);

/**
 * A small model that exercises every matMul path a recurrent or attention encoder uses: a fused
 * dense layer with bias, a plain dense product, batched products with transposes
 * (attention-like) and a transposed output projection.
 */
function lossAndGrads(): tf.Tensor[] {
  const x = seeded([3, 8, 6], 1);
  const params = [seeded([6, 10], 2), seeded([10], 3), seeded([10, 10], 4), seeded([4, 10], 5)];
  const loss = (w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, w3: tf.Tensor): tf.Scalar => {
    const dense = tf.relu(tf.fused.matMul({ a: tf.reshape(x, [24, 6]) as tf.Tensor2D, b: w1 as tf.Tensor2D, bias: b1 }));
    // tfjs's BatchMatMul gradient does not sum over broadcast batches (a [3,8,10]·[10,10]
    // product fails on every backend with a [3,10,10] gradient for the weight), so products with
    // shared weights are taken on [batch·time, features] and reshaped, as tf.layers.dense does.
    const hidden = tf.reshape(tf.tanh(tf.matMul(dense, w2)), [3, 8, 10]);
    const scores = tf.softmax(tf.matMul(hidden, hidden, false, true));
    const mixed = tf.matMul(scores, hidden);
    const logits = tf.matMul(tf.reshape(mixed, [24, 10]), w3, false, true);
    return tf.mean(tf.square(logits));
  };
  const { value, grads } = tf.valueAndGrads(loss)(params);
  return [value, ...grads];
}

describe('gradients with native kernels', { skip }, () => {
  test('loss and gradients equal stock wasm and cpu within 1e-5', async () => {
    const before = nativeKernelCounters().native;
    const native = await runIn('native', lossAndGrads);
    // forward and backward together call the product kernels many times
    assert.ok(nativeKernelCounters().native - before >= 10, 'the backward pass did not use the native kernels');
    for (const mode of ['stock', 'cpu'] as const) {
      const reference = await runIn(mode, lossAndGrads);
      native.forEach((values, i) => assertClose(values, reference[i], 1e-5, `${i === 0 ? 'loss' : `gradient ${i}`} vs ${mode}`));
    }
  });

  test('a train step leaks no tensors', async () => {
    await useMode('native');
    const w = tf.variable(seeded([6, 4], 9));
    const optimizer = tf.train.adam(0.01);
    const x = seeded([5, 6], 10);
    const step = (): void => {
      const loss = optimizer.minimize(() => tf.mean(tf.square(tf.fused.matMul({ a: x as tf.Tensor2D, b: w, activation: 'linear' }))), true);
      loss?.dispose();
    };
    step(); // creates Adam's slot variables once
    const tensors = tf.memory().numTensors;
    step();
    step();
    assert.equal(tf.memory().numTensors, tensors);
    tf.dispose([w, x]);
    optimizer.dispose();
  });
});
