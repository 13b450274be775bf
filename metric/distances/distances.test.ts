/** Distances against loops, normalisation, and finite gradients at distance 0. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { FIXTURES, assertClose, valueAndGrad } from '../testing/fixtures.js';
import { cosine, dot, euclidean, normalized, squaredEuclidean, type NaiveDistance } from '../testing/naive.js';
import type { BaseDistance } from './base-distance.js';
import { CosineSimilarity } from './cosine-similarity.js';
import { DotProductSimilarity } from './dot-product-similarity.js';
import { EuclideanDistance } from './euclidean-distance.js';
import { squaredDistanceValues } from './squared-distance-cache.js';
import { SquaredEuclideanDistance } from './squared-euclidean-distance.js';

const CASES: [string, () => BaseDistance, NaiveDistance][] = [
  ['euclidean', () => new EuclideanDistance(), euclidean],
  ['euclidean (normalised)', () => new EuclideanDistance({ normalizeEmbeddings: true }), normalized(euclidean)],
  ['squared euclidean', () => new SquaredEuclideanDistance(), squaredEuclidean],
  ['cosine', () => new CosineSimilarity(), cosine],
  ['dot', () => new DotProductSimilarity(), dot],
  ['dot (normalised)', () => new DotProductSimilarity({ normalizeEmbeddings: true }), normalized(dot)],
];

describe('distances', () => {
  for (const [name, make, naive] of CASES) {
    it(`${name} matches the loop on every pair`, () => {
      for (const { points } of FIXTURES) {
        const x = tf.tensor2d(points);
        const values = make().pairwiseValues(x);
        x.dispose();
        points.forEach((x, i) => points.forEach((y, j) => {
          if (i !== j) assertClose(values[i * points.length + j]!, naive(x, y), 1e-5, `${name}[${i},${j}]`);
        }));
      }
    });
    it(`${name} has a finite gradient when rows coincide`, () => {
      valueAndGrad([[0.3, 0.4], [0.3, 0.4], [0, 1]], (x) => tf.sum(make().pairwise(x)));
    });
  }
  it('marks similarities as inverted and flips margin and closer', () => {
    const d = new EuclideanDistance();
    const s = new CosineSimilarity();
    assert.equal(d.closer(1, 2), true);
    assert.equal(s.closer(1, 2), false);
    const m = tf.tidy(() => [d.margin(tf.scalar(3), tf.scalar(1)).dataSync()[0], s.margin(tf.scalar(3), tf.scalar(1)).dataSync()[0]]);
    assert.deepEqual(m, [2, -2]);
  });
  it('rejects mismatched widths', () => {
    const x = tf.zeros([2, 3]) as tf.Tensor2D;
    const y = tf.zeros([2, 4]) as tf.Tensor2D;
    assert.throws(() => new EuclideanDistance().pairwise(x, y), /equal widths/);
    tf.dispose([x, y]);
  });
});

describe('squared-distance cache', () => {
  it('never serves one shape’s matrix to a reshape of the same buffer', () => {
    const x = tf.tensor2d([[0, 0, 3, 4], [1, 1, 1, 1]]);
    const wide = squaredDistanceValues(x);
    const tall = tf.reshape(x, [4, 2]) as tf.Tensor2D;
    const values = squaredDistanceValues(tall);
    assert.equal(wide.length, 4);
    assert.equal(values.length, 16);
    assertClose(values[1]!, 25); // rows [0,0] and [3,4]
    assert.equal(squaredDistanceValues(x), squaredDistanceValues(x), 'same tensor reuses its matrix');
    tf.dispose([x, tall]);
  });
});
