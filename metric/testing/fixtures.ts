/** Small fixed inputs and assertions shared by the metric tests. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../data/random.js';
import type { MinedIndices } from '../mined-indices.js';
import { angleToCoord, type NaivePairs, type NaiveTriplets } from './naive.js';

/** Five anisotropic 2-D points (angles and radii chosen so several hinges are active). */
export const ANGLE_POINTS: number[][] = [
  angleToCoord(0, 1),
  angleToCoord(25, 1.3),
  angleToCoord(60, 0.8),
  angleToCoord(95, 1.1),
  angleToCoord(170, 0.9),
];
/** Labels of {@link ANGLE_POINTS}. */
export const ANGLE_LABELS = [0, 0, 1, 1, 2];

/** Ten seeded 8-D gaussian rows. */
export const RANDOM_POINTS: number[][] = (() => {
  const rng = new Rng(7);
  return Array.from({ length: 10 }, () => Array.from({ length: 8 }, () => rng.normal() * 0.5));
})();
/** Labels of {@link RANDOM_POINTS}. */
export const RANDOM_LABELS = [0, 0, 0, 1, 1, 1, 2, 2, 3, 3];

/** The named fixtures every loss is checked on. */
export const FIXTURES: { name: string; points: number[][]; labels: number[] }[] = [
  { name: 'angles', points: ANGLE_POINTS, labels: ANGLE_LABELS },
  { name: 'random', points: RANDOM_POINTS, labels: RANDOM_LABELS },
];

/** `|actual − expected| <= tol · max(1, |expected|)`. */
export function assertClose(actual: number, expected: number, tol = 1e-5, what = 'value'): void {
  assert.ok(Number.isFinite(actual), `${what}: got non-finite ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: got ${actual}, expected ${expected} (tol ${tol})`);
}

/** Plain pair lists as {@link MinedIndices}. */
export function minedPairs(pairs: NaivePairs): MinedIndices {
  return { kind: 'pairs', a1: Int32Array.from(pairs.a1), p: Int32Array.from(pairs.p), a2: Int32Array.from(pairs.a2), n: Int32Array.from(pairs.n) };
}

/** Plain triplet lists as {@link MinedIndices}. */
export function minedTriplets(t: NaiveTriplets): MinedIndices {
  return { kind: 'triplets', a: Int32Array.from(t.a), p: Int32Array.from(t.p), n: Int32Array.from(t.n) };
}

/** Mined indices back as plain lists (pairs only). */
export function toNaivePairs(mined: MinedIndices): NaivePairs {
  assert.equal(mined.kind, 'pairs');
  if (mined.kind !== 'pairs') throw new Error('unreachable');
  return { a1: [...mined.a1], p: [...mined.p], a2: [...mined.a2], n: [...mined.n] };
}

/** Mined indices back as plain lists (triplets only). */
export function toNaiveTriplets(mined: MinedIndices): NaiveTriplets {
  assert.equal(mined.kind, 'triplets');
  if (mined.kind !== 'triplets') throw new Error('unreachable');
  return { a: [...mined.a], p: [...mined.p], n: [...mined.n] };
}

/**
 * Runs `f(x)` and its gradient on `points`; checks that no tensor leaked and that the gradient is
 * finite; returns both as numbers.
 */
export function valueAndGrad(points: number[][], f: (x: tf.Tensor2D) => tf.Scalar): { value: number; grad: number[][] } {
  const x = tf.tensor2d(points);
  const before = tf.memory().numTensors;
  const { value, grads } = tf.valueAndGrads((t: tf.Tensor) => f(t as tf.Tensor2D))([x]);
  const result = { value: value.dataSync()[0]!, grad: grads[0]!.arraySync() as number[][] };
  value.dispose();
  grads[0]!.dispose();
  assert.equal(tf.memory().numTensors, before, 'tensors leaked by the loss or its gradient');
  x.dispose();
  for (const row of result.grad) for (const g of row) assert.ok(Number.isFinite(g), `non-finite gradient ${g}`);
  return result;
}

/** Asserts two gradients agree entrywise within `tol · max(1, |expected|)`. */
export function assertGradClose(actual: number[][], expected: number[][], tol = 2e-3): void {
  actual.forEach((row, i) => row.forEach((g, j) => assertClose(g, expected[i]![j]!, tol, `grad[${i}][${j}]`)));
}
