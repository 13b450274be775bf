import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { projectAll } from './project-all.js';
import { projectTrimap } from './trimap.js';
import { Rng } from '../../data/random.js';

describe('projectAll', () => {
  it('runs every projector and scores it against the rows', () => {
    const rng = new Rng(4);
    const rows = Array.from({ length: 60 }, () => {
      const a = rng.normal() * 5;
      const b = rng.normal() * 3;
      return [a, b, a - b + rng.normal() * 0.1, rng.normal() * 0.1];
    });
    // "first two columns" keeps most of the structure; "noise" keeps none of it.
    const columns = (r: readonly number[][]) => ({ x: Float64Array.from(r, (p) => p[0]!), y: Float64Array.from(r, (p) => p[1]!), seconds: 0 });
    const noise = (r: readonly number[][]) => ({ x: Float64Array.from(r, () => rng.normal()), y: Float64Array.from(r, () => rng.normal()), seconds: 0 });
    const all = projectAll(rows, { columns, noise, trimap: (r) => projectTrimap(r, { iterations: 100 }) });
    assert.deepEqual(Object.keys(all), ['columns', 'noise', 'trimap']);
    assert.equal(all.trimap.x.length, 60);
    // Near-exact 2-D data makes GS sensitive (it compares two small errors), hence the loose bound.
    assert.ok(all.columns.scores.global > 0.5, `columns global ${all.columns.scores.global}`);
    assert.ok(all.columns.scores.local > all.noise.scores.local + 0.3);
    assert.ok(all.noise.scores.global < 0.01, `noise global ${all.noise.scores.global}`);
    assert.ok(all.trimap.scores.local > all.noise.scores.local + 0.3, `trimap local ${all.trimap.scores.local}`);
    assert.ok(all.noise.scoreSeconds >= 0);
  });
});
