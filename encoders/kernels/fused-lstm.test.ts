import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import { fusedLstmAvailable, fusedPackedLstm } from './fused-lstm.js';
import { seeded, useMode } from './kernel-test-utils.js';
import { fusedLayerTests, plainPacked, skipUnlessFused, type RecurrentLayerUnderTest } from './recurrent-kernel-test-helpers.js';

const skip = await skipUnlessFused('LSTM', fusedLstmAvailable);

type LstmArgs = [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];

/** The fused LSTM, and the same LSTM stepped with plain tfjs ops (LstmCell's equations): the reference. */
const LSTM: RecurrentLayerUnderTest = {
  name: 'LSTM',
  inputNames: ['projected', 'initialH', 'initialC', 'wh'],
  inputShapes: (events, size, H) => [[events, 4 * H], [size, H], [size, H], [H, 4 * H]],
  weightIndex: 3,
  fused: (inputs, batchSizes, keepOutputs) => {
    const [x, h0, c0, wh] = inputs as LstmArgs;
    return fusedPackedLstm({ projected: x, initialH: h0, initialC: c0, wh, batchSizes, keepOutputs });
  },
  plain: (inputs, batchSizes, keepOutputs) => {
    const [x, h0, c0, wh] = inputs as LstmArgs;
    return plainPacked(x, [h0, c0], batchSizes, keepOutputs, (xt, [hp, cp]) => {
      const [i, f, o, g] = tf.split(tf.add(xt, tf.matMul(hp!, wh)), 4, 1);
      const cNew = tf.add(tf.mul(tf.sigmoid(f), cp!), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
      const hNew = tf.mul(tf.sigmoid(o), tf.tanh(cNew)) as tf.Tensor2D;
      return [hNew, cNew];
    });
  },
};

describe('fused whole-sequence LSTM', { skip }, () => {
  fusedLayerTests(LSTM, 12, [false, true]);

  test('inconsistent shapes are a ShapeError naming the problem', async () => {
    await useMode('native');
    tf.tidy(() => {
      const args = {
        projected: seeded([7, 8], 1) as tf.Tensor2D,
        initialH: seeded([3, 2], 2) as tf.Tensor2D,
        initialC: seeded([3, 2], 3) as tf.Tensor2D,
        wh: seeded([2, 8], 4) as tf.Tensor2D,
      };
      assert.throws(() => fusedPackedLstm({ ...args, batchSizes: [3, 2, 1], keepOutputs: false }), (e: unknown) => e instanceof ShapeError && /projected must be \[6, 8\]/.test(e.message));
      assert.throws(() => fusedPackedLstm({ ...args, batchSizes: [2, 3, 2], keepOutputs: false }), (e: unknown) => e instanceof ShapeError && /batchSizes\[0\]/.test(e.message));
      assert.throws(() => fusedPackedLstm({ ...args, initialC: seeded([2, 2], 5) as tf.Tensor2D, batchSizes: [3, 2, 2], keepOutputs: false }), (e: unknown) => e instanceof ShapeError && /initialC/.test(e.message));
    });
  });
});
