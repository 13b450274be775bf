import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../data/random.js';
import { projectTsne } from './projections.js';
import { projectTsneInWorker } from './tsne-in-worker.js';

describe('projectTsneInWorker', () => {
  const rng = new Rng(5);
  const rows = Array.from({ length: 40 }, () => Array.from({ length: 6 }, () => rng.normal()));

  it('gives exactly the coordinates of projectTsne in this thread (same seed)', async () => {
    const here = projectTsne(rows, { seed: 7, tsneSteps: 60 });
    const there = await projectTsneInWorker(rows, { seed: 7, tsneSteps: 60 });
    assert.deepEqual(there.x, here.x);
    assert.deepEqual(there.y, here.y);
    assert.ok(there.seconds >= 0);
  });

  it("rejects with t-SNE's own message when the rows are too few", async () => {
    await assert.rejects(projectTsneInWorker(rows.slice(0, 3), { seed: 7 }), /t-SNE failed in its worker thread: Projection needs at least 4 rows, got 3/);
  });
});
