import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../data/random.js';
import { ShapeError } from '../../errors.js';
import { fusedGruAvailable, fusedPackedGru } from './fused-gru.js';
import { assertClose, prepareWasm, runIn, seeded, useMode, type KernelMode } from './kernel-test-utils.js';

const { available, reason } = await prepareWasm();
const skip = available && fusedGruAvailable() ? false : `OpenBLAS unavailable here: ${reason}`;
if (skip !== false) console.log(`# skipping fused GRU tests: ${reason}`);

/** The same GRU stepped with plain tfjs ops over the packed layout: the reference. */
function plainGru(x: tf.Tensor2D, h0: tf.Tensor2D, wh: tf.Tensor2D, bh: tf.Tensor1D, batchSizes: number[], keepOutputs: boolean): tf.Tensor2D {
  const [size, H] = h0.shape;
  let state = h0;
  let row = 0;
  const outputs: tf.Tensor2D[] = [];
  for (const bs of batchSizes) {
    const hp = tf.slice(state, [0, 0], [bs, H]);
    const xt = tf.slice(x, [row, 0], [bs, 3 * H]);
    row += bs;
    const gh = tf.add(tf.matMul(hp, wh), bh);
    const [xr, xz, xn] = tf.split(xt, 3, 1);
    const [hr, hz, hn] = tf.split(gh, 3, 1);
    const r = tf.sigmoid(tf.add(xr, hr));
    const z = tf.sigmoid(tf.add(xz, hz));
    const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
    const h = tf.add(n, tf.mul(z, tf.sub(hp, n))) as tf.Tensor2D;
    outputs.push(h);
    state = bs < size ? tf.concat([h, tf.slice(state, [bs, 0], [size - bs, H])], 0) : h;
  }
  return keepOutputs ? tf.concat(outputs, 0) : state;
}

function batchSizesOf(lengths: number[]): number[] {
  const sorted = [...lengths].sort((a, b) => b - a);
  return Array.from({ length: sorted[0] }, (_, t) => sorted.filter((l) => l > t).length);
}

/** Loss value and gradients for the four inputs, with the fused op or the plain reference. */
function valueAndGrads(kind: 'fused' | 'plain', lengths: number[], H: number, keepOutputs: boolean): () => tf.Tensor[] {
  return () => {
    const batchSizes = batchSizesOf(lengths);
    const events = batchSizes.reduce((s, b) => s + b, 0);
    const size = lengths.length;
    const inputs = [seeded([events, 3 * H], 1), seeded([size, H], 2), tf.mul(seeded([H, 3 * H], 3), 0.5), seeded([3 * H], 4)];
    const weights = seeded(keepOutputs ? [events, H] : [size, H], 5);
    const f = (...args: tf.Tensor[]): tf.Scalar => {
      const [x, h0, wh, bh] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
      const out =
        kind === 'fused'
          ? fusedPackedGru({ projected: x, initial: h0, wh, bh, batchSizes, keepOutputs })
          : plainGru(x, h0, wh, bh, batchSizes, keepOutputs);
      return tf.sum(tf.mul(out, weights));
    };
    const { value, grads } = tf.valueAndGrads(f)(inputs);
    return [value, ...grads];
  };
}

async function compare(lengths: number[], H: number, keepOutputs: boolean): Promise<void> {
  const label = `lengths [${lengths}] H=${H} keepOutputs=${keepOutputs}`;
  const reference = await runIn('cpu', valueAndGrads('plain', lengths, H, keepOutputs));
  const names = ['loss', 'd projected', 'd initial', 'd wh', 'd bh'];
  for (const mode of ['native', 'cpu'] as KernelMode[]) {
    // The compiled C gate math (when it loads) and the TypeScript loops with a SIMD σ.
    for (const gates of ['compiled', 'typescript']) {
      if (gates === 'typescript') process.env.MELES_NATIVE_GATES = '0';
      try {
        const fused = await runIn(mode, valueAndGrads('fused', lengths, H, keepOutputs));
        fused.forEach((v, i) => assertClose(v, reference[i]!, 1e-5, `${label} ${names[i]} (fused on ${mode}, ${gates} gate math)`));
      } finally {
        delete process.env.MELES_NATIVE_GATES;
      }
    }
  }
}

describe('fused whole-sequence GRU', { skip }, () => {
  test('final states and all gradients equal a plain tfjs GRU within 1e-5', async () => {
    await compare([5, 5, 3, 2, 2, 1], 8, false);
    await compare([1], 4, false);
  });

  test('per-event outputs (stacked layers) and their gradients equal the plain GRU', async () => {
    await compare([4, 3, 3, 1], 6, true);
  });

  test('random lengths at a larger size', async () => {
    const rng = new Rng(11);
    await compare(Array.from({ length: 24 }, () => rng.int(1, 30)), 32, false);
  });

  test('inference gives the same values without recording, and nothing leaks', async () => {
    await useMode('native');
    const lengths = [6, 4, 4, 2];
    const batchSizes = batchSizesOf(lengths);
    const H = 5;
    const tensors = tf.memory().numTensors;
    const [fused, plain] = tf.tidy(() => {
      const x = seeded([16, 3 * H], 7) as tf.Tensor2D;
      const h0 = seeded([4, H], 8) as tf.Tensor2D;
      const wh = seeded([H, 3 * H], 9) as tf.Tensor2D;
      const bh = seeded([3 * H], 10) as tf.Tensor1D;
      return [fusedPackedGru({ projected: x, initial: h0, wh, bh, batchSizes, keepOutputs: false }).dataSync(), plainGru(x, h0, wh, bh, batchSizes, false).dataSync()];
    });
    assertClose(Float32Array.from(fused), Float32Array.from(plain), 1e-5, 'inference');
    tf.dispose(tf.tidy(valueAndGrads('fused', lengths, H, false)));
    assert.equal(tf.memory().numTensors, tensors);
  });

  test('inconsistent shapes are a ShapeError naming the problem', async () => {
    await useMode('native');
    tf.tidy(() => {
      const args = { projected: seeded([7, 6], 1) as tf.Tensor2D, initial: seeded([3, 2], 2) as tf.Tensor2D, wh: seeded([2, 6], 3) as tf.Tensor2D, bh: seeded([6], 4) as tf.Tensor1D };
      assert.throws(() => fusedPackedGru({ ...args, batchSizes: [3, 2, 1], keepOutputs: false }), (e: unknown) => e instanceof ShapeError && /projected must be \[6, 6\]/.test(e.message));
      assert.throws(() => fusedPackedGru({ ...args, batchSizes: [2, 3, 2], keepOutputs: false }), (e: unknown) => e instanceof ShapeError && /batchSizes\[0\]/.test(e.message));
    });
  });
});
