/** recallAtK against a sort-based loop, plus the obvious extremes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../data/random.js';
import { recallAtK } from './recall-at-k.js';
import { angleToCoord, cosine } from './testing/naive.js';

function naiveRecall(points: number[][], labels: number[], k: number): number {
  let hits = 0;
  points.forEach((x, i) => {
    const ranked = points
      .map((_, j) => j)
      .filter((j) => j !== i)
      .sort((a, b) => cosine(x, points[b]!) - cosine(x, points[a]!) || a - b);
    hits += ranked.slice(0, k).filter((j) => labels[j] === labels[i]).length;
  });
  return hits / (points.length * k);
}

function recall(points: number[][], labels: number[], k?: number): number {
  const x = tf.tensor2d(points);
  const before = tf.memory().numTensors;
  const value = recallAtK(x, Int32Array.from(labels), k);
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  return value;
}

describe('recallAtK', () => {
  it('matches a sort-based loop on random 16-D embeddings of 8 clients × 5 views', () => {
    const rng = new Rng(2);
    const labels = Array.from({ length: 40 }, (_, i) => Math.floor(i / 5));
    const centres = Array.from({ length: 8 }, () => Array.from({ length: 16 }, () => rng.normal()));
    const points = labels.map((l) => centres[l]!.map((c) => c + rng.normal() * 1.2));
    const value = recall(points, labels);
    assert.ok(value > 0 && value < 1, `expected a partial recall, got ${value}`);
    assert.equal(value, naiveRecall(points, labels, 4));
  });
  it('is 1 for tight clusters and 0 when every neighbour is another client', () => {
    const tight = [0, 1, 2, 90, 91, 92].map((a) => angleToCoord(a));
    assert.equal(recall(tight, [0, 0, 0, 1, 1, 1], 2), 1);
    const spread = [0, 90, 180, 270].map((a) => angleToCoord(a));
    assert.equal(recall(spread, [0, 1, 2, 3], 1), 0);
  });
  it('uses cosine, so the radius does not matter', () => {
    const points = [angleToCoord(0, 1), angleToCoord(10, 50), angleToCoord(100, 1), angleToCoord(105, 0.1)];
    assert.equal(recall(points, [0, 0, 1, 1], 1), 1);
  });
  it('rejects k outside [1, n − 1]', () => {
    assert.throws(() => recall([[1, 0], [0, 1]], [0, 1], 2), /Expected `k` to be an integer in \[1, 1\]/);
  });
});
