import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PCA } from 'ml-pca';
import { minimumReconstructionError, neighbourhoodCurves, projectionScores, scoreAll, type PlanePoints } from './quality.js';
import { fromXY, toDense } from './dense.js';
import { Rng } from '../../data/random.js';
import { ShapeError } from '../../errors.js';

function plane(points: readonly (readonly number[])[]): PlanePoints {
  return { x: Float64Array.from(points, (p) => p[0]!), y: Float64Array.from(points, (p) => p[1]!) };
}

/** 10-D data with a dominant 2-D structure: a wide plane plus small noise in every direction. */
function flatData(n: number, seed: number): number[][] {
  const rng = new Rng(seed);
  const basis = [Array.from({ length: 10 }, () => rng.normal()), Array.from({ length: 10 }, () => rng.normal())];
  return Array.from({ length: n }, () => {
    const a = rng.normal() * 10;
    const b = rng.normal() * 6;
    return basis[0]!.map((u, c) => a * u + b * basis[1]![c]! + rng.normal() * 0.3);
  });
}

/** Q_NX(K) and R_NX(K) straight from the definition: sets of K nearest neighbours, intersected. */
function naiveCurves(high: number[][], low: number[][]): { q: number[]; r: number[] } {
  const n = high.length;
  const knn = (rows: number[][], i: number, k: number): Set<number> => {
    const others = rows.map((_, j) => j).filter((j) => j !== i);
    const dist = (j: number): number => rows[i]!.reduce((s, v, c) => s + (v - rows[j]![c]!) ** 2, 0);
    others.sort((a, b) => dist(a) - dist(b) || a - b);
    return new Set(others.slice(0, k));
  };
  const q: number[] = [];
  const r: number[] = [];
  for (let k = 1; k <= n - 2; k++) {
    let shared = 0;
    for (let i = 0; i < n; i++) {
      const hi = knn(high, i, k);
      for (const j of knn(low, i, k)) if (hi.has(j)) shared++;
    }
    q.push(shared / (k * n));
    r.push(((n - 1) * q[k - 1]! - k) / (n - 1 - k));
  }
  return { q, r };
}

/** MRE with an explicit bias column, solved by Cramer's rule on the uncentred data. */
function naiveMre(high: number[][], low: number[][]): number {
  const z = low.map((p) => [p[0]!, p[1]!, 1]);
  const g = [0, 1, 2].map((a) => [0, 1, 2].map((b) => z.reduce((s, row) => s + row[a]! * row[b]!, 0)));
  const det3 = (m: number[][]): number =>
    m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) -
    m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) +
    m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
  const det = det3(g);
  const means = high[0]!.map((_, c) => high.reduce((s, row) => s + row[c]!, 0) / high.length);
  let residual = 0;
  let total = 0;
  for (let c = 0; c < high[0]!.length; c++) {
    const rhs = [0, 1, 2].map((a) => z.reduce((s, row, i) => s + row[a]! * high[i]![c]!, 0));
    const coef = [0, 1, 2].map((a) => det3(g.map((row, r) => row.map((v, col) => (col === a ? rhs[r]! : v)))) / det);
    for (let i = 0; i < high.length; i++) {
      const fit = coef[0]! * z[i]![0]! + coef[1]! * z[i]![1]! + coef[2]!;
      residual += (high[i]![c]! - fit) ** 2;
      total += (high[i]![c]! - means[c]!) ** 2;
    }
  }
  return residual / total;
}

describe('projection quality scores', () => {
  it('gives local score 1 when the data is already 2-D and the projection is the data itself', () => {
    const rng = new Rng(1);
    const points = Array.from({ length: 80 }, () => [rng.normal() * 3, rng.normal()]);
    const scores = projectionScores(points, plane(points));
    assert.equal(scores.local, 1);
    assert.equal(scores.global, 1);
    // Rotation, scaling and shift keep every neighbourhood, so the local score stays 1.
    const moved = points.map(([a, b]) => [5 + 2 * (0.6 * a! - 0.8 * b!), -3 + 2 * (0.8 * a! + 0.6 * b!)]);
    assert.equal(projectionScores(points, plane(moved)).local, 1);
  });

  it('scores a projection with shuffled points near 0 locally', () => {
    const rows = flatData(150, 2);
    const rng = new Rng(3);
    const shuffled = Array.from({ length: rows.length }, () => [rng.normal(), rng.normal()]);
    const scores = projectionScores(rows, plane(shuffled));
    assert.ok(Math.abs(scores.local) < 0.05, `local ${scores.local}`);
    assert.ok(scores.global < 0.1, `global ${scores.global}`);
  });

  it('gives PCA a global score of 1 and a random linear projection less', () => {
    const rows = flatData(200, 4);
    const pca = new PCA(rows, { center: true }).predict(rows, { nComponents: 2 }).to2DArray();
    const pcaScore = projectionScores(rows, plane(pca)).global;
    assert.ok(Math.abs(pcaScore - 1) < 1e-12, `PCA global ${pcaScore}`);
    const rng = new Rng(5);
    const directions = [0, 1].map(() => Array.from({ length: 10 }, () => rng.normal()));
    const random = rows.map((row) => directions.map((d) => d.reduce((s, v, c) => s + v * row[c]!, 0)));
    const randomScore = projectionScores(rows, plane(random)).global;
    assert.ok(randomScore < 0.9, `random projection global ${randomScore}`);
    assert.ok(randomScore > 0, `random projection global ${randomScore}`);
  });

  it("matches the PCA reconstruction error to the variance PCA leaves out", () => {
    const rows = flatData(120, 6);
    const pca = new PCA(rows, { center: true });
    const explained = pca.getExplainedVariance();
    const scores = pca.predict(rows, { nComponents: 2 }).to2DArray();
    const mre = minimumReconstructionError(toDense(rows, 4), toDense(scores, 4));
    assert.ok(Math.abs(mre - (1 - explained[0]! - explained[1]!)) < 1e-10, `mre ${mre}`);
  });

  it('agrees with a naive loop on a small fixed input', () => {
    const rng = new Rng(9);
    const high = Array.from({ length: 14 }, () => Array.from({ length: 4 }, () => Math.round(rng.normal() * 100) / 10));
    const low = high.map((row) => [row[0]! + 0.5 * row[2]!, row[1]! - row[3]! + rng.normal()]);
    const naive = naiveCurves(high, low);
    const fast = neighbourhoodCurves(toDense(high, 4), fromXY(plane(low).x, plane(low).y));
    assert.equal(fast.q.length, naive.q.length);
    for (let k = 0; k < naive.q.length; k++) {
      assert.ok(Math.abs(fast.q[k]! - naive.q[k]!) < 1e-12, `Q_NX(${k + 1})`);
      assert.ok(Math.abs(fast.r[k]! - naive.r[k]!) < 1e-12, `R_NX(${k + 1})`);
    }
    const auc = naive.r.reduce((s, v, k) => s + v / (k + 1), 0) / naive.r.reduce((s, _, k) => s + 1 / (k + 1), 0);
    const scores = projectionScores(high, plane(low));
    assert.ok(Math.abs(scores.local - auc) < 1e-12);
    assert.ok(scores.local > 0 && scores.local < 1, `local ${scores.local}`);
    const mre = minimumReconstructionError(toDense(high, 4), toDense(low, 4));
    assert.ok(Math.abs(mre - naiveMre(high, low)) < 1e-9, `mre ${mre} vs ${naiveMre(high, low)}`);
  });

  it('scores several projections against one PCA reference', () => {
    const rows = flatData(60, 8);
    const pca = plane(new PCA(rows, { center: true }).predict(rows, { nComponents: 2 }).to2DArray());
    const axes = plane(rows.map((r) => [r[0]!, r[1]!]));
    const all = scoreAll(rows, { pca, axes });
    assert.deepEqual(all.axes, projectionScores(rows, axes));
    assert.ok(Math.abs(all.pca.global - 1) < 1e-12);
  });

  it('rejects a projection whose size does not match the data', () => {
    const rows = flatData(10, 1);
    assert.throws(() => projectionScores(rows, { x: new Float64Array(9), y: new Float64Array(9) }), ShapeError);
    assert.throws(() => projectionScores(rows, { x: new Float64Array(10), y: new Float64Array(10).fill(NaN) }), ShapeError);
  });
});
