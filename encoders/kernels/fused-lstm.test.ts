import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../data/random.js';
import { ShapeError } from '../../errors.js';
import { fusedLstmAvailable, fusedPackedLstm } from './fused-lstm.js';
import { assertClose, prepareWasm, runIn, seeded, useMode, type KernelMode } from './kernel-test-utils.js';

const { available, reason } = await prepareWasm();
const skip = available && fusedLstmAvailable() ? false : `OpenBLAS unavailable here: ${reason}`;
if (skip !== false) console.log(`# skipping fused LSTM tests: ${reason}`);

/** The same LSTM stepped with plain tfjs ops over the packed layout (LstmCell's equations): the reference. */
function plainLstm(x: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D, wh: tf.Tensor2D, batchSizes: number[], keepOutputs: boolean): tf.Tensor2D {
  const [size, H] = h0.shape;
  let h = h0;
  let c = c0;
  let row = 0;
  const outputs: tf.Tensor2D[] = [];
  for (const bs of batchSizes) {
    const hp = tf.slice(h, [0, 0], [bs, H]);
    const cp = tf.slice(c, [0, 0], [bs, H]);
    const xt = tf.slice(x, [row, 0], [bs, 4 * H]);
    row += bs;
    const [i, f, o, g] = tf.split(tf.add(xt, tf.matMul(hp, wh)), 4, 1);
    const cNew = tf.add(tf.mul(tf.sigmoid(f), cp), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
    const hNew = tf.mul(tf.sigmoid(o), tf.tanh(cNew)) as tf.Tensor2D;
    outputs.push(hNew);
    h = bs < size ? tf.concat([hNew, tf.slice(h, [bs, 0], [size - bs, H])], 0) : hNew;
    c = bs < size ? tf.concat([cNew, tf.slice(c, [bs, 0], [size - bs, H])], 0) : cNew;
  }
  return keepOutputs ? tf.concat(outputs, 0) : h;
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
    const inputs = [seeded([events, 4 * H], 1), seeded([size, H], 2), seeded([size, H], 3), tf.mul(seeded([H, 4 * H], 4), 0.5)];
    const weights = seeded(keepOutputs ? [events, H] : [size, H], 5);
    const f = (...args: tf.Tensor[]): tf.Scalar => {
      const [x, h0, c0, wh] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const out =
        kind === 'fused'
          ? fusedPackedLstm({ projected: x, initialH: h0, initialC: c0, wh, batchSizes, keepOutputs })
          : plainLstm(x, h0, c0, wh, batchSizes, keepOutputs);
      return tf.sum(tf.mul(out, weights));
    };
    const { value, grads } = tf.valueAndGrads(f)(inputs);
    return [value, ...grads];
  };
}

async function compare(lengths: number[], H: number, keepOutputs: boolean): Promise<void> {
  const label = `lengths [${lengths}] H=${H} keepOutputs=${keepOutputs}`;
  const reference = await runIn('cpu', valueAndGrads('plain', lengths, H, keepOutputs));
  const names = ['loss', 'd projected', 'd initialH', 'd initialC', 'd wh'];
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

describe('fused whole-sequence LSTM', { skip }, () => {
  test('final states and all gradients equal a plain tfjs LSTM within 1e-5 (unequal lengths)', async () => {
    await compare([5, 5, 3, 2, 2, 1], 8, false);
    await compare([1], 4, false);
  });

  test('per-event outputs (stacked layers) and their gradients equal the plain LSTM', async () => {
    await compare([4, 3, 3, 1], 6, true);
  });

  test('random lengths at a larger size', async () => {
    const rng = new Rng(12);
    await compare(Array.from({ length: 24 }, () => rng.int(1, 30)), 32, false);
  });

  test('inference gives the same values without recording, and nothing leaks', async () => {
    await useMode('native');
    const lengths = [6, 4, 4, 2];
    const batchSizes = batchSizesOf(lengths);
    const H = 5;
    const tensors = tf.memory().numTensors;
    const [fused, plain] = tf.tidy(() => {
      const x = seeded([16, 4 * H], 7) as tf.Tensor2D;
      const h0 = seeded([4, H], 8) as tf.Tensor2D;
      const c0 = seeded([4, H], 9) as tf.Tensor2D;
      const wh = seeded([H, 4 * H], 10) as tf.Tensor2D;
      return [
        fusedPackedLstm({ projected: x, initialH: h0, initialC: c0, wh, batchSizes, keepOutputs: false }).dataSync(),
        plainLstm(x, h0, c0, wh, batchSizes, false).dataSync(),
      ];
    });
    assertClose(Float32Array.from(fused), Float32Array.from(plain), 1e-5, 'inference');
    tf.dispose(tf.tidy(valueAndGrads('fused', lengths, H, false)));
    tf.dispose(tf.tidy(valueAndGrads('fused', lengths, H, true)));
    assert.equal(tf.memory().numTensors, tensors);
  });

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
