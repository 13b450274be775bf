import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lossAndGradient, projectTrimap } from './trimap.js';
import { nearestNeighbours, sampleTriplets } from './triplets.js';
import { toDense } from './dense.js';
import { Rng } from '../../data/random.js';
import { neighbourAgreement, plantedClusters } from '../testing/clusters.js';
import { ConfigError, ShapeError } from '../../errors.js';

const { rows, labels } = plantedClusters({ perCluster: 50, seed: 3, dims: 10, spread: 5 });

describe('TriMap', () => {
  it('separates planted clusters in 10-D', () => {
    const p = projectTrimap(rows);
    assert.equal(p.x.length, rows.length);
    assert.ok(neighbourAgreement(p, labels) >= 0.95, `1-NN accuracy ${neighbourAgreement(p, labels)}`);
    assert.ok(p.violated < 0.2, `violated share ${p.violated}`);
    assert.ok(p.seconds > 0);
  });

  it('recovers clusters that its PCA start mixes up', () => {
    // Two wide nuisance dimensions dominate the variance, so the 2-D PCA start shows them and
    // mixes the clusters, which are separated only in the 8 other dimensions.
    const rng = new Rng(3);
    const centres = Array.from({ length: 4 }, () => Array.from({ length: 8 }, () => rng.normal() * 2.5));
    const hidden: number[][] = [];
    const hiddenLabels: number[] = [];
    for (let c = 0; c < 4; c++) {
      for (let i = 0; i < 50; i++) {
        hidden.push([rng.normal() * 4, rng.normal() * 4, ...centres[c]!.map((m) => m + rng.normal())]);
        hiddenLabels.push(c);
      }
    }
    const start = neighbourAgreement(projectTrimap(hidden, { iterations: 0 }), hiddenLabels);
    const end = neighbourAgreement(projectTrimap(hidden), hiddenLabels);
    assert.ok(start < 0.85, `PCA start 1-NN accuracy ${start}`);
    assert.ok(end >= 0.95, `TriMap 1-NN accuracy ${end}`);
  });

  it('lowers the loss it optimises', () => {
    const before = projectTrimap(rows, { iterations: 0 });
    const after = projectTrimap(rows, { iterations: 100 });
    assert.ok(after.loss < before.loss, `loss ${before.loss} -> ${after.loss}`);
    assert.ok(after.violated < before.violated, `violated ${before.violated} -> ${after.violated}`);
  });

  it('gives identical output for the same seed and different output for another', () => {
    const a = projectTrimap(rows, { seed: 7, iterations: 50 });
    const b = projectTrimap(rows, { seed: 7, iterations: 50 });
    const c = projectTrimap(rows, { seed: 8, iterations: 50 });
    assert.deepEqual(a.x, b.x);
    assert.deepEqual(a.y, b.y);
    assert.notDeepEqual(a.x, c.x);
  });

  it('has a gradient that is half the finite-difference gradient of the loss', () => {
    const small = plantedClusters({ perCluster: 5, seed: 11, dims: 10, spread: 5 }).rows;
    const triplets = sampleTriplets(toDense(small, 4), { inliers: 3, outliers: 2, random: 2 }, new Rng(1));
    const rng = new Rng(2);
    const y = Float64Array.from({ length: small.length * 2 }, () => rng.normal());
    const grad = new Float64Array(y.length);
    lossAndGradient(y, triplets, grad);
    const scratch = new Float64Array(y.length);
    const h = 1e-6;
    for (const v of [0, 5, 17, 33]) {
      const up = Float64Array.from(y);
      up[v] = up[v]! + h;
      const down = Float64Array.from(y);
      down[v] = down[v]! - h;
      const numeric = (lossAndGradient(up, triplets, scratch).loss - lossAndGradient(down, triplets, scratch).loss) / (2 * h);
      assert.ok(Math.abs(numeric - 2 * grad[v]!) < 1e-6, `coordinate ${v}: ${numeric} vs ${2 * grad[v]!}`);
    }
  });

  it('samples triplets whose near point is a scaled nearest neighbour and far point is not', () => {
    const m = toDense(rows, 4);
    const t = sampleTriplets(m, { inliers: 4, outliers: 3, random: 2 }, new Rng(5));
    assert.equal(t.anchor.length, rows.length * (4 * 3 + 2));
    const { index } = nearestNeighbours(m, 50);
    for (let s = 0; s < t.anchor.length; s++) {
      const i = t.anchor[s]!;
      assert.notEqual(t.far[s], i);
      assert.notEqual(t.near[s], i);
      // Each point's 4 × 3 neighbour triplets come first, then its 2 random ones.
      if (s % 14 >= 12) continue;
      assert.equal(i, Math.floor(s / 14));
      assert.notEqual(t.far[s], t.near[s]);
      // Scaled distances can reorder neighbours, but the 4 inliers come from the 50 nearest.
      assert.ok(index.subarray(i * 50, i * 50 + 50).includes(t.near[s]!));
    }
    for (const w of t.weight) assert.ok(w > 0 && w <= 1);
    assert.equal(Math.max(...t.weight), 1);
  });

  it('validates its options once, with readable messages', () => {
    assert.throws(() => projectTrimap(rows, { inliers: 0 }), ConfigError);
    assert.throws(() => projectTrimap(rows, { learningRate: -1 }), ConfigError);
    assert.throws(() => projectTrimap(rows, { iteratons: 5 } as never), /Unknown option `iteratons`/);
    assert.throws(() => projectTrimap(rows.slice(0, 10)), /needs at least 17 rows/);
    assert.throws(() => projectTrimap([[1, 2], [3]].concat(rows)), ShapeError);
  });
});
