import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import { fusedGruAvailable, fusedPackedGru } from './fused-gru.js';
import { seeded, useMode } from './kernel-test-utils.js';
import { fusedLayerTests, plainPacked, skipUnlessFused, type RecurrentLayerUnderTest } from './recurrent-kernel-test-helpers.js';

const skip = await skipUnlessFused('GRU', fusedGruAvailable);

type GruArgs = [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];

/** The fused GRU, and the same GRU stepped with plain tfjs ops (PyTorch's equations): the reference. */
const GRU: RecurrentLayerUnderTest = {
  name: 'GRU',
  inputNames: ['projected', 'initial', 'wh', 'bh'],
  inputShapes: (events, size, H) => [[events, 3 * H], [size, H], [H, 3 * H], [3 * H]],
  weightIndex: 2,
  fused: (inputs, batchSizes, keepOutputs) => {
    const [x, h0, wh, bh] = inputs as GruArgs;
    return fusedPackedGru({ projected: x, initial: h0, wh, bh, batchSizes, keepOutputs });
  },
  plain: (inputs, batchSizes, keepOutputs) => {
    const [x, h0, wh, bh] = inputs as GruArgs;
    return plainPacked(x, [h0], batchSizes, keepOutputs, (xt, [hp]) => {
      const gh = tf.add(tf.matMul(hp!, wh), bh);
      const [xr, xz, xn] = tf.split(xt, 3, 1);
      const [hr, hz, hn] = tf.split(gh, 3, 1);
      const r = tf.sigmoid(tf.add(xr, hr));
      const z = tf.sigmoid(tf.add(xz, hz));
      const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
      return [tf.add(n, tf.mul(z, tf.sub(hp!, n))) as tf.Tensor2D];
    });
  },
};

describe('fused whole-sequence GRU', { skip }, () => {
  fusedLayerTests(GRU, 11, [false]);

  test('inconsistent shapes are a ShapeError naming the problem', async () => {
    await useMode('native');
    tf.tidy(() => {
      const args = { projected: seeded([7, 6], 1) as tf.Tensor2D, initial: seeded([3, 2], 2) as tf.Tensor2D, wh: seeded([2, 6], 3) as tf.Tensor2D, bh: seeded([6], 4) as tf.Tensor1D };
      assert.throws(() => fusedPackedGru({ ...args, batchSizes: [3, 2, 1], keepOutputs: false }), (e: unknown) => e instanceof ShapeError && /projected must be \[6, 6\]/.test(e.message));
      assert.throws(() => fusedPackedGru({ ...args, batchSizes: [2, 3, 2], keepOutputs: false }), (e: unknown) => e instanceof ShapeError && /batchSizes\[0\]/.test(e.message));
    });
  });
});
