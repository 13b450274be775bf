import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../data/random.js';
import { isolateTestPart, stratifiedKFold } from './folds.js';
import { accuracy, auroc } from './metrics.js';
import { pairedTTest, sampleStdDev, studentTQuantile, summarize } from './stats.js';

const close = (a: number, b: number, tol: number) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('statistics', () => {
  it('computes mean, std (ddof 1) and t_pm = t(0.975, 4)·s/√5 as a hand computation does', () => {
    const scores = [0.62, 0.63, 0.64, 0.625, 0.635];
    // Deviations from 0.63: -0.01, 0, 0.01, -0.005, 0.005 → Σd² = 0.00025, s² = 0.00025 / 4.
    const s = Math.sqrt(0.00025 / 4);
    const { mean, std, halfWidth } = summarize(scores);
    close(mean, 0.63, 1e-12);
    close(std, s, 1e-12);
    // t(0.975, 4) = 2.7764451051977934 (scipy.stats.t.ppf).
    close(halfWidth, (2.7764451051977934 * s) / Math.sqrt(5), 1e-10);
    close(halfWidth, 0.0098162, 1e-7); // 2.7764451 · 0.0079057 / 2.2360680
    assert.ok(Number.isNaN(sampleStdDev([1])));
  });

  it('inverts the Student-t CDF like scipy', () => {
    close(studentTQuantile(0.975, 4), 2.7764451051977934, 1e-9);
    close(studentTQuantile(0.975, 1), 12.706204736174694, 1e-7);
    close(studentTQuantile(0.975, 30), 2.0422724563012378, 1e-9);
  });

  it('gives the paired t-test of scipy.stats.ttest_rel', () => {
    const r = pairedTTest([1, 2, 3, 4, 5], [1.1, 2.3, 2.9, 4.4, 5.2]);
    close(r.t, -2.092457497388747, 1e-9);
    close(r.pValue, 0.10453999977837544, 1e-9);
    assert.equal(r.df, 4);
    close(r.meanDiff, -0.18, 1e-12);
    assert.equal(pairedTTest([1, 2], [1, 2]).pValue, 1);
  });
});

describe('metrics', () => {
  it('computes AUROC with average ranks for ties', () => {
    close(auroc(Float64Array.from([0.1, 0.4, 0.35, 0.8]), Int32Array.from([0, 0, 1, 1])), 0.75, 1e-12);
    close(auroc(Float64Array.from([0.5, 0.5, 0.5, 0.9]), Int32Array.from([0, 1, 0, 1])), 0.75, 1e-12);
    assert.ok(Number.isNaN(auroc(Float64Array.from([0.1, 0.2]), Int32Array.from([1, 1]))));
  });

  it('computes accuracy for binary probabilities and multiclass rows', () => {
    assert.equal(accuracy(Float64Array.from([0.2, 0.7, 0.6]), Int32Array.from([0, 1, 0]), 2), 2 / 3);
    assert.equal(accuracy(Float64Array.from([0.1, 0.7, 0.2, 0.5, 0.3, 0.2]), Int32Array.from([1, 1]), 3), 0.5);
  });
});

describe('splits', () => {
  const rng = new Rng(3);
  const labels = Int32Array.from({ length: 503 }, () => (rng.next() < 0.2 ? 2 : rng.next() < 0.5 ? 1 : 0));

  it('makes stratified, disjoint, covering, seeded folds', () => {
    const rows = Array.from({ length: labels.length }, (_, i) => i).filter((i) => i % 7 !== 0);
    const folds = stratifiedKFold(labels, rows, 5, 42);
    assert.equal(folds.length, 5);
    const all = folds.flat().sort((a, b) => a - b);
    assert.deepEqual(all, rows, 'folds are disjoint and cover all rows');
    const sizes = folds.map((f) => f.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
    for (let c = 0; c < 3; c++) {
      const perFold = folds.map((f) => f.filter((r) => labels[r] === c).length);
      assert.ok(Math.max(...perFold) - Math.min(...perFold) <= 1, `class ${c}: ${perFold}`);
    }
    assert.deepEqual(stratifiedKFold(labels, rows, 5, 42), folds, 'same seed, same folds');
    assert.notDeepEqual(stratifiedKFold(labels, rows, 5, 43), folds, 'another seed, other folds');
  });

  it('isolates a stratified, seeded test part', () => {
    const { test, rest } = isolateTestPart(labels, 0.1, 42);
    assert.equal(test.length + rest.length, labels.length);
    assert.equal(new Set([...test, ...rest]).size, labels.length);
    for (let c = 0; c < 3; c++) {
      const total = labels.filter((l) => l === c).length;
      assert.equal(test.filter((r) => labels[r] === c).length, Math.round(total * 0.1));
    }
    assert.deepEqual(isolateTestPart(labels, 0.1, 42).test, test);
    assert.throws(() => stratifiedKFold(labels, [1, 2], 5, 1), /Cannot split 2 labelled rows into 5 folds/);
  });
});
