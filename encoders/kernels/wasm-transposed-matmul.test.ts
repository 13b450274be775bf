import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../data/random.js';
import { initBackend } from '../backend.js';

function random(rng: Rng, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.normal()), shape);
}

/** Plain-loop batched product of row-major arrays, with optional transposes. */
function naive(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): number[] {
  const [av, bv] = [a.dataSync(), b.dataSync()];
  const rank = a.shape.length;
  const batch = rank === 3 ? a.shape[0]! : 1;
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = ta ? ac : ar;
  const k = ta ? ar : ac;
  const n = tb ? br : bc;
  const out: number[] = [];
  for (let s = 0; s < batch; s++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const x = av[s * ar * ac + (ta ? p * ac + i : i * ac + p)]!;
          const y = bv[s * br * bc + (tb ? j * bc + p : p * bc + j)]!;
          sum += x * y;
        }
        out.push(sum);
      }
    }
  }
  return out;
}

describe('transposing BatchMatMul (wasm without OpenBLAS)', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true, nativeKernels: false });
  });

  for (const [ta, tb] of [[true, false], [false, true], [true, true], [false, false]] as const) {
    it(`matches a plain loop for transposeA=${ta}, transposeB=${tb} (2-D and batched 3-D), without leaks`, () => {
      const rng = new Rng(ta ? (tb ? 1 : 2) : tb ? 3 : 4);
      for (const batch of [0, 3]) {
        const lead = batch > 0 ? [batch] : [];
        const a = random(rng, [...lead, ...(ta ? [5, 4] : [4, 5])]);
        const b = random(rng, [...lead, ...(tb ? [6, 5] : [5, 6])]);
        const before = tf.memory().numTensors;
        const dataBefore = tf.engine().backend.numDataIds();
        const product = tf.matMul(a, b, ta, tb);
        const got = product.dataSync();
        product.dispose();
        assert.equal(tf.memory().numTensors, before);
        assert.equal(tf.engine().backend.numDataIds(), dataBefore, 'kernel-internal transposes are freed');
        naive(a, b, ta, tb).forEach((v, i) => assert.ok(Math.abs(v - got[i]!) < 1e-4, `${i}: ${got[i]} vs ${v}`));
        tf.dispose([a, b]);
      }
    });
  }
});
