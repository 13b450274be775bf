import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TSNE } from '@keckelt/tsne';
import { Rng } from '../../data/random.js';
import { ShapeError } from '../../errors.js';
import { neighbourAgreement, plantedClusters } from '../testing/clusters.js';
import { tsne } from './tsne.js';

/** The library with its random start drawn from our seeded generator (as the report used it). */
class SeededTsne extends TSNE {
  constructor(
    private readonly rng: Rng,
    perplexity: number,
  ) {
    super({ perplexity, dim: 2, epsilon: 10 });
  }

  override gaussRandom(): number {
    return this.rng.normal();
  }
}

function flat(rows: readonly number[][]): Float64Array {
  return Float64Array.from(rows.flat());
}

function library(rows: number[][], seed: number, perplexity: number, steps: number): { x: number[]; y: number[] } {
  const reference = new SeededTsne(new Rng(seed), perplexity);
  reference.initDataRaw(rows);
  for (let i = 0; i < steps; i++) reference.step();
  const solution = reference.getSolution() as number[][];
  return { x: solution.map((p) => p[0]!), y: solution.map((p) => p[1]!) };
}

describe('tsne', () => {
  const rng = new Rng(11);
  const rows = Array.from({ length: 60 }, () => Array.from({ length: 5 }, () => rng.normal()));

  // 300 steps cross both schedule changes (exaggeration off after step 99, momentum 0.8 from 250).
  for (const steps of [50, 300]) {
    it(`equals @keckelt/tsne's solution for the same random start (60 × 5, ${steps} steps)`, () => {
      const expected = library(rows, 3, 12, steps);
      const normal = new Rng(3);
      const got = tsne(flat(rows), 60, 5, { perplexity: 12, steps, normal: () => normal.normal() });
      // The same floating-point operations in the same order, so the coordinates agree exactly;
      // the bound is there only to report the size of a difference should one appear.
      const worst = Math.max(...expected.x.map((v, i) => Math.abs(v - got.x[i]!)), ...expected.y.map((v, i) => Math.abs(v - got.y[i]!)));
      assert.ok(worst <= 1e-12, `largest difference ${worst}`);
      assert.deepEqual([...got.x], expected.x);
      assert.deepEqual([...got.y], expected.y);
    });
  }

  it('keeps planted clusters apart', () => {
    const clusters = plantedClusters({ perCluster: 40 });
    const normal = new Rng(5);
    const plane = tsne(flat(clusters.rows), clusters.rows.length, 12, { steps: 200, normal: () => normal.normal() });
    assert.ok(neighbourAgreement(plane, clusters.labels) > 0.95);
  });

  it('gives the same coordinates for the same random start', () => {
    const a = new Rng(8);
    const b = new Rng(8);
    const first = tsne(flat(rows), 60, 5, { steps: 40, normal: () => a.normal() });
    const second = tsne(flat(rows), 60, 5, { steps: 40, normal: () => b.normal() });
    assert.deepEqual(first, second);
  });

  it('rejects data whose length does not match rows × cols, a single row, or invalid options', () => {
    assert.throws(() => tsne(new Float64Array(7), 3, 2, { normal: () => 0 }), ShapeError);
    assert.throws(() => tsne(new Float64Array(2), 1, 2, { normal: () => 0 }), /at least 2 rows/);
    assert.throws(() => tsne(flat(rows), 60, 5, { perplexity: 0.5, normal: () => 0 }), /Expected `perplexity` to be a finite number >= 1, got `0.5`/);
    assert.throws(() => tsne(flat(rows), 60, 5, { steps: 1.5, normal: () => 0 }), /Expected `steps` to be an integer >= 0/);
  });
});
