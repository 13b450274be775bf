/**
 * Grouped InfoNCE against a plain float64 loop (1e-5), central finite differences, padding
 * negatives, identical vectors, and leak checks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../data/random.js';
import { assertClose } from '../testing/fixtures.js';
import { infoNceLoss } from './info-nce.js';

type Cube = number[][][];

interface Case {
  q: Cube;
  p: Cube;
  n: Cube;
  weights: number[];
  counts?: number[];
}

/** Σ w · (log Σ exp([q·p, q·n_1..m]) − q·p), m = the group's real negatives, in float64. */
function naiveInfoNce({ q, p, n, weights, counts }: Case): number {
  const dot = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);
  let total = 0;
  q.forEach((group, g) => {
    const m = counts?.[g] ?? n[g]!.length;
    group.forEach((query, c) => {
      const w = weights[g * group.length + c]!;
      if (w === 0) return;
      const logits = [dot(query, p[g]![c]!), ...n[g]!.slice(0, m).map((neg) => dot(query, neg))];
      const max = Math.max(...logits);
      const lse = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
      total += w * (lse - logits[0]!);
    });
  });
  return total;
}

function cube(rng: Rng, a: number, b: number, d: number, scale = 0.7): Cube {
  return Array.from({ length: a }, () => Array.from({ length: b }, () => Array.from({ length: d }, () => rng.normal() * scale)));
}

function tensorLoss(c: Case, q = tf.tensor3d(c.q), p = tf.tensor3d(c.p), n = tf.tensor3d(c.n)): tf.Scalar {
  return infoNceLoss({
    queries: q,
    positives: p,
    negatives: n,
    weights: Float32Array.from(c.weights),
    ...(c.counts ? { negativeCounts: Int32Array.from(c.counts) } : {}),
  });
}

const rng = new Rng(11);
const BASE: Case = { q: cube(rng, 2, 3, 4), p: cube(rng, 2, 3, 4), n: cube(rng, 2, 3, 4), weights: [0.2, 0.1, 0, 0.3, 0.25, 0.15] };
const PADDED: Case = { ...BASE, counts: [3, 1] };
const NONE: Case = { ...BASE, counts: [0, 2] };

describe('infoNceLoss', () => {
  for (const [name, c] of [['all negatives', BASE], ['padding negatives', PADDED], ['a group without negatives', NONE]] as const) {
    it(`matches the float64 loop (${name})`, () => {
      const before = tf.memory().numTensors;
      const value = tf.tidy(() => tensorLoss(c).dataSync()[0]!);
      assertClose(value, naiveInfoNce(c), 1e-5);
      assert.equal(tf.memory().numTensors, before);
    });

    it(`gradients match central differences (${name})`, () => {
      const inputs = [tf.tensor3d(c.q), tf.tensor3d(c.p), tf.tensor3d(c.n)];
      const before = tf.memory().numTensors;
      const grads = tf.grads((q, p, n) => tensorLoss(c, q as tf.Tensor3D, p as tf.Tensor3D, n as tf.Tensor3D))(inputs);
      const arrays = grads.map((g) => g.arraySync() as Cube);
      tf.dispose(grads);
      assert.equal(tf.memory().numTensors, before);
      tf.dispose(inputs);
      const keys = ['q', 'p', 'n'] as const;
      const eps = 1e-6;
      keys.forEach((key, which) => {
        c[key].forEach((group, g) =>
          group.forEach((row, r) =>
            row.forEach((_, j) => {
              const shifted = (delta: number): number => {
                const copy = structuredClone(c);
                copy[key][g]![r]![j]! += delta;
                return naiveInfoNce(copy);
              };
              const fd = (shifted(eps) - shifted(-eps)) / (2 * eps);
              assertClose(arrays[which]![g]![r]![j]!, fd, 1e-4, `d/d${key}[${g}][${r}][${j}]`);
            }),
          ),
        );
      });
    });
  }

  it('padding negatives get no gradient', () => {
    const n = tf.tensor3d(PADDED.n);
    const grad = tf.grad((x) => tensorLoss(PADDED, undefined, undefined, x as tf.Tensor3D))(n).arraySync() as Cube;
    n.dispose();
    assert.deepEqual(grad[1]!.slice(1).flat(), [0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('identical vectors cost log(1 + M) with finite gradients', () => {
    const same = (a: number, b: number): Cube => Array.from({ length: a }, () => Array.from({ length: b }, () => [0.3, -0.2, 0.5, 0.1]));
    const c: Case = { q: same(2, 3), p: same(2, 3), n: same(2, 3), weights: [1, 1, 1, 1, 1, 1].map((w) => w / 6) };
    assertClose(tf.tidy(() => tensorLoss(c).dataSync()[0]!), Math.log(4), 1e-6);
    const q = tf.tensor3d(c.q);
    const grad = tf.grad((x) => tensorLoss(c, x as tf.Tensor3D))(q);
    assert.ok(Array.from(grad.dataSync()).every(Number.isFinite));
    tf.dispose([q, grad]);
  });

  it('refuses mismatched shapes', () => {
    tf.tidy(() => {
      assert.throws(() => tensorLoss({ ...BASE, weights: [1] }), /expects 6 weights/);
      assert.throws(() => infoNceLoss({ queries: tf.zeros([2, 3, 4]), positives: tf.zeros([2, 3, 4]), negatives: tf.zeros([2, 3, 5]), weights: new Float32Array(6) }), /negatives must be/);
    });
  });
});
