import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { Rng } from '../../data/random.js';
import { evaluateFeatureSets } from './evaluate.js';
import { cappedLeafMinimum, leafMinimumLoweredNote, paramsFor } from './lightgbm-defaults.js';

describe('reference leaf minimum for small training sets', () => {
  it('keeps 50 for ~1440 training rows (2000 clients, 5 folds, 10% test) and from the documented thresholds up', () => {
    for (const rows of [1400, 1440, 1441, 10_000]) {
      assert.equal(paramsFor('binary', 2, {}, 42, rows).minDataInLeaf, 50, `binary, ${rows} rows`);
      assert.equal(paramsFor('multiclass', 4, {}, 42, rows).minDataInLeaf, 50, `multiclass, ${rows} rows`);
    }
    // Binary bags 0.5 of the rows, multiclass 0.75: the cap starts to bind just below 1000 / 667 rows.
    assert.equal(paramsFor('binary', 2, {}, 42, 1000).minDataInLeaf, 50);
    assert.equal(paramsFor('binary', 2, {}, 42, 999).minDataInLeaf, 49);
    assert.equal(paramsFor('multiclass', 4, {}, 42, 667).minDataInLeaf, 50);
    assert.equal(paramsFor('multiclass', 4, {}, 42, 666).minDataInLeaf, 49);
  });

  it('caps at a tenth of the bagged rows, at least 1, and leaves explicit and unsized parameters alone', () => {
    // 5% of the label-fraction table: ~72 training clients, 36 bagged for gender, 54 for age.
    assert.equal(paramsFor('binary', 2, {}, 42, 72).minDataInLeaf, 3);
    assert.equal(paramsFor('multiclass', 4, {}, 42, 72).minDataInLeaf, 5);
    assert.equal(paramsFor('binary', 2, {}, 42, 5).minDataInLeaf, 1);
    assert.equal(cappedLeafMinimum({ minDataInLeaf: 50, baggingFraction: 0.5, baggingFreq: 0 }, 100), 10, 'no bagging at frequency 0');
    assert.equal(cappedLeafMinimum({}, 1000), 20, 'LightGBM default when unset');
    assert.equal(paramsFor('binary', 2, { minDataInLeaf: 50 }, 42, 72).minDataInLeaf, 50, 'an explicit value is kept');
    assert.equal(paramsFor('binary', 2, {}, 42).minDataInLeaf, 50, 'no row count, no cap');
  });

  it('lets LightGBM split on 72 training clients per fold, where the uncapped reference minimum gives a constant model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-leaf-'));
    try {
      // 100 clients: 10 in the test part, 90 in 5 folds, so each booster learns from 72.
      const rng = new Rng(5);
      const n = 100;
      const ids = Int32Array.from({ length: n }, (_, i) => i);
      const x = Float32Array.from({ length: n }, () => rng.normal());
      const lines = ['client_id,gender', ...Array.from(ids, (id, i) => `${id},${x[i]! + 0.3 * rng.normal() > 0 ? 1 : 0}`)];
      await writeFile(join(dir, 'labels.csv'), lines.join('\n'));
      await writeArrowTable(join(dir, 'x.arrow'), tableFromColumns({ client_id: ids, x }));
      const run = (params: { minDataInLeaf?: number }) => evaluateFeatureSets({
        targetsPath: join(dir, 'labels.csv'), idColumn: 'client_id', targets: [{ column: 'gender', kind: 'binary' }],
        featureSets: [{ name: 'x', paths: [join(dir, 'x.arrow')] }], numIterations: 20, params: { binary: { learningRate: 0.1, ...params } },
      });

      const reference = await run({ minDataInLeaf: 50 });
      const constant = reference.results[0]!.metrics.find((m) => m.metric === 'auroc')!;
      assert.deepEqual(constant.testScores, [0.5, 0.5, 0.5, 0.5, 0.5], 'the failure the cap fixes');

      const capped = await run({});
      const auroc = capped.results[0]!.metrics.find((m) => m.metric === 'auroc')!;
      assert.ok(auroc.test.mean > 0.8, `test AUROC ${auroc.test.mean}`);
      assert.ok(auroc.valid.mean > 0.8, `held-fold AUROC ${auroc.valid.mean}`);
      assert.ok(
        capped.warnings.some((w) => /set `x` \/ target `gender`: LightGBM min_data_in_leaf lowered from 50 to 3 in 5 of 5 folds \(72 training rows/.test(w)),
        capped.warnings.join('\n'),
      );
      assert.ok(!reference.warnings.some((w) => /min_data_in_leaf/.test(w)), 'an explicit minimum is not lowered');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('leafMinimumLoweredNote (the one wording of evaluate and fit)', () => {
  const tail = 'at most 1/10 of the rows a tree is grown on, lightgbm-defaults.ts)';
  it('one booster (meles fit): from, to and its training rows, no fold count', () => {
    assert.equal(leafMinimumLoweredNote(50, [{ minDataInLeaf: 3, trainRows: 60 }]), `LightGBM min_data_in_leaf lowered from 50 to 3 (60 training rows; ${tail}`);
  });

  it('folds (meles evaluate): only the lowered folds, their ranges and how many of all', () => {
    const folds = [{ minDataInLeaf: 3, trainRows: 72 }, { minDataInLeaf: 4, trainRows: 80 }, { minDataInLeaf: 50, trainRows: 1440 }];
    assert.equal(leafMinimumLoweredNote(50, folds), `LightGBM min_data_in_leaf lowered from 50 to 3–4 in 2 of 3 folds (72–80 training rows; ${tail}`);
    assert.equal(leafMinimumLoweredNote(50, folds.slice(0, 1).concat(folds.slice(0, 1))), `LightGBM min_data_in_leaf lowered from 50 to 3 in 2 of 2 folds (72 training rows; ${tail}`);
  });

  it('says nothing when no booster is below the configured minimum; unset means LightGBM\'s 20', () => {
    assert.equal(leafMinimumLoweredNote(50, [{ minDataInLeaf: 50, trainRows: 1440 }, { minDataInLeaf: 50, trainRows: 1441 }]), undefined);
    assert.equal(leafMinimumLoweredNote(50, []), undefined);
    assert.equal(leafMinimumLoweredNote(undefined, [{ minDataInLeaf: 20, trainRows: 500 }]), undefined);
    assert.match(leafMinimumLoweredNote(undefined, [{ minDataInLeaf: 7, trainRows: 70 }])!, /^LightGBM min_data_in_leaf lowered from 20 to 7 \(70 training rows;/);
  });
});
