import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../data/random.js';
import { isolateTestPart, stratifiedKFold } from './folds.js';
import { expectLabelFraction, stratifiedSubsample } from './label-fraction.js';
import { fingerprintDifference, planSplits } from './split-plan.js';

/** 503 clients over 3 unbalanced classes, ids like `c17`. */
function labelled(n = 503): { ids: string[]; labels: Int32Array } {
  const rng = new Rng(5);
  const labels = Int32Array.from({ length: n }, () => { const u = rng.next(); return u < 0.6 ? 0 : u < 0.85 ? 1 : 2; });
  return { ids: Array.from({ length: n }, (_, i) => `c${i}`), labels };
}

function counts(labels: Int32Array, rows: readonly number[]): number[] {
  const out = [0, 0, 0];
  for (const r of rows) out[labels[r]!]!++;
  return out;
}

describe('planSplits', () => {
  it('gives exactly the test part and folds evaluateFeatureSets always used, and all other folds for training at fraction 1', () => {
    const { ids, labels } = labelled();
    const plan = planSplits(ids, labels, { folds: 5, testFraction: 0.1, seed: 42 });
    const { test, rest } = isolateTestPart(labels, 0.1, 42);
    const folds = stratifiedKFold(labels, rest, 5, 42);
    assert.deepEqual(plan.test, test);
    assert.deepEqual(plan.folds, folds);
    // In fold order, unsorted: the order LightGBM saw before the split plan existed (bagging depends on it).
    plan.training.forEach((rows, f) => assert.deepEqual(rows, folds.flatMap((g, k) => (k === f ? [] : g))));
    assert.equal(plan.fingerprint.clients, ids.length);
    assert.equal(plan.fingerprint.folds.length, 5);
  });

  it('fingerprints by id text: a fresh copy of the same ids and labels gives the same digest; other seeds, clients or fractions say where they differ', () => {
    const { ids, labels } = labelled();
    const a = planSplits(ids, labels, { folds: 5, testFraction: 0.1, seed: 42 }).fingerprint;
    assert.equal(planSplits([...ids], labels.slice(), { folds: 5, testFraction: 0.1, seed: 42 }).fingerprint.sha256, a.sha256);
    const otherSeed = planSplits(ids, labels, { folds: 5, testFraction: 0.1, seed: 7 }).fingerprint;
    assert.equal(fingerprintDifference(a, otherSeed), 'the clients of the test part');
    const fewer = planSplits(ids.slice(1), labels.slice(1), { folds: 5, testFraction: 0.1, seed: 42 }).fingerprint;
    assert.match(fingerprintDifference(a, fewer)!, /labelled clients \(502 there, 503 here\)/);
    const half = planSplits(ids, labels, { folds: 5, testFraction: 0.1, seed: 42, labelFraction: 0.5 }).fingerprint;
    assert.equal(half.test, a.test);
    assert.deepEqual(half.folds, a.folds);
    assert.match(fingerprintDifference(a, half)!, /training clients of fold 1/);
    assert.equal(fingerprintDifference(a, a), undefined);
  });
});

describe('labelled fraction', () => {
  it('subsamples each fold\'s training clients stratified (within ±1 per class), seeded, and leaves held folds and the test part alone', () => {
    const { ids, labels } = labelled();
    const full = planSplits(ids, labels, { folds: 5, testFraction: 0.1, seed: 42 });
    for (const fraction of [0.05, 0.3, 0.77]) {
      const plan = planSplits(ids, labels, { folds: 5, testFraction: 0.1, seed: 42, labelFraction: fraction });
      assert.deepEqual(plan.test, full.test);
      assert.deepEqual(plan.folds, full.folds);
      plan.training.forEach((rows, f) => {
        const all = full.training[f]!;
        assert.ok(rows.every((r) => all.includes(r)), 'a subsample of the fold\'s training clients');
        const got = counts(labels, rows);
        counts(labels, all).forEach((n, c) => assert.ok(Math.abs(got[c]! - n * fraction) <= 1, `fraction ${fraction} fold ${f} class ${c}: ${got[c]} of ${n}`));
        assert.ok(!rows.some((r) => plan.folds[f]!.includes(r) || plan.test.includes(r)));
      });
      const again = planSplits(ids, labels, { folds: 5, testFraction: 0.1, seed: 42, labelFraction: fraction });
      assert.deepEqual(again.training, plan.training);
    }
    const a = stratifiedSubsample(labels, full.training[0]!, 0.2, 1);
    const b = stratifiedSubsample(labels, full.training[0]!, 0.2, 2);
    assert.notDeepEqual(a, b, 'another seed draws other clients');
    assert.ok(counts(labels, stratifiedSubsample(labels, full.training[0]!, 0.001, 1)).every((n) => n === 1), 'every class keeps one client');
  });

  it('accepts (0, 1] and refuses anything else with a ConfigError naming the flag', () => {
    assert.equal(expectLabelFraction(1), 1);
    assert.equal(expectLabelFraction(0.01), 0.01);
    for (const bad of [0, 1.5, -0.1, Number.NaN, Infinity, '0.5']) {
      assert.throws(() => expectLabelFraction(bad, '--label-fraction'), { name: 'ConfigError', message: /`--label-fraction` to be a number in \(0, 1\]/ });
    }
  });
});
