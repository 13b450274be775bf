import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { projectPca, projectTrimap, scoreProjection } from '../run/projections.js';
import { Rng } from '../../data/random.js';

describe('run report hook (report/run/projections.ts)', () => {
  const rng = new Rng(12);
  const rows = Array.from({ length: 40 }, () => Array.from({ length: 6 }, () => rng.normal()));

  it('projects a sample smaller than the default triplet counts need, seeded', () => {
    const small = rows.slice(0, 12);
    const a = projectTrimap(small, { seed: 3 });
    assert.equal(a.x.length, 12);
    assert.deepEqual(projectTrimap(small, { seed: 3 }).y, a.y);
    assert.throws(() => projectTrimap(rows.slice(0, 7)), /at least 8 rows/);
  });

  it('adds local and global scores to a projection, PCA scoring 1 globally', () => {
    const pca = scoreProjection(rows, projectPca(rows));
    assert.ok(pca.scores !== undefined);
    assert.ok(Math.abs(pca.scores.global - 1) < 1e-12, `PCA global ${pca.scores.global}`);
    const tri = scoreProjection(rows, projectTrimap(rows));
    assert.ok(tri.scores !== undefined && tri.scores.global <= 1 && tri.scores.local > 0.1, JSON.stringify(tri.scores));
  });
});
