import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { projectPca, projectTsne, projectUmap, sampleIndices, type Projection2D } from './projections.js';
import { Rng } from '../../data/random.js';
import { ShapeError } from '../../errors.js';

/** 4 well separated Gaussian clusters in 12-D. */
function clusters(perCluster: number): { rows: number[][]; labels: number[] } {
  const rng = new Rng(7);
  const centres = Array.from({ length: 4 }, () => Array.from({ length: 12 }, () => rng.normal() * 6));
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let c = 0; c < 4; c++) {
    for (let i = 0; i < perCluster; i++) {
      rows.push(centres[c]!.map((m) => m + rng.normal()));
      labels.push(c);
    }
  }
  return { rows, labels };
}

/** Share of points whose nearest 2-D neighbour has the same label. */
function neighbourAgreement(p: Projection2D, labels: number[]): number {
  let same = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = -1;
    let bestD = Infinity;
    for (let j = 0; j < labels.length; j++) {
      if (j === i) continue;
      const d = (p.x[i]! - p.x[j]!) ** 2 + (p.y[i]! - p.y[j]!) ** 2;
      if (d < bestD) [bestD, best] = [d, j];
    }
    if (labels[best] === labels[i]) same++;
  }
  return same / labels.length;
}

const { rows, labels } = clusters(40);

describe('projections', () => {
  it('PCA keeps the clusters apart', () => {
    const p = projectPca(rows);
    assert.equal(p.x.length, rows.length);
    assert.ok(neighbourAgreement(p, labels) > 0.95);
  });

  it('UMAP keeps the clusters apart and is reproducible with a seed', () => {
    const a = projectUmap(rows, { seed: 3 });
    const b = projectUmap(rows, { seed: 3 });
    assert.ok(neighbourAgreement(a, labels) > 0.95);
    assert.deepEqual(a.x, b.x);
    assert.ok(a.seconds > 0);
  });

  it('t-SNE keeps the clusters apart and is reproducible with a seed', () => {
    const a = projectTsne(rows, { seed: 3, tsneSteps: 150 });
    const b = projectTsne(rows, { seed: 3, tsneSteps: 150 });
    const c = projectTsne(rows, { seed: 4, tsneSteps: 150 });
    assert.ok(neighbourAgreement(a, labels) > 0.95);
    assert.deepEqual(a.y, b.y);
    assert.notDeepEqual(a.y, c.y);
  });

  it('rejects ragged or too small inputs', () => {
    assert.throws(() => projectPca([[1, 2], [3, 4]]), ShapeError);
    assert.throws(() => projectUmap([[1, 2], [3, 4], [5, 6], [7]]), /Row 3 has 1 columns, expected 2/);
  });
});

describe('sampleIndices', () => {
  it('returns everything when the set is small, else a sorted seeded sample without repeats', () => {
    assert.deepEqual([...sampleIndices(5, 10, 1)], [0, 1, 2, 3, 4]);
    const s = sampleIndices(1000, 100, 1);
    assert.equal(s.length, 100);
    assert.equal(new Set(s).size, 100);
    assert.deepEqual([...s], [...s].sort((a, b) => a - b));
    assert.deepEqual(s, sampleIndices(1000, 100, 1));
    assert.notDeepEqual(s, sampleIndices(1000, 100, 2));
  });
});
