import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TSNE } from '@keckelt/tsne';
import { Rng } from '../../data/random.js';
import { projectPca, projectTsne, projectUmap, sampleIndices } from './projections.js';
import { neighbourAgreement, plantedClusters } from '../testing/clusters.js';
import { ShapeError } from '../../errors.js';

const { rows, labels } = plantedClusters({ perCluster: 40 });

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

  it('t-SNE gives the coordinates @keckelt/tsne gave with the same seeded start and capped perplexity', () => {
    // 40 rows cap the perplexity at 13; the library drew its start from gaussRandom, here Rng.normal.
    const rng = new Rng(12);
    const few = Array.from({ length: 40 }, () => Array.from({ length: 6 }, () => rng.normal()));
    const library = new (class extends TSNE {
      private readonly seeded = new Rng(5);
      override gaussRandom(): number {
        return this.seeded.normal();
      }
    })({ perplexity: 13, dim: 2, epsilon: 10 });
    library.initDataRaw(few);
    for (let i = 0; i < 120; i++) library.step();
    const expected = library.getSolution() as number[][];
    const ours = projectTsne(few, { seed: 5, tsneSteps: 120 });
    assert.deepEqual([...ours.x], expected.map((p) => p[0]));
    assert.deepEqual([...ours.y], expected.map((p) => p[1]));
  });

  it('rejects ragged or too small inputs', () => {
    assert.throws(() => projectPca([[1, 2], [3, 4]]), ShapeError);
    assert.throws(() => projectTsne([[1, 2], [3, 4], [5, 6]]), (e) => e instanceof ShapeError && /Projection needs at least 4 rows, got 3/.test(e.message));
    assert.throws(() => projectTsne([[1, 2], [3, 4], [5, 6], [7]]), /Row 3 has 1 columns, expected 2/);
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
