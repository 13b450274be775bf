import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { Rng } from '../../data/random.js';
import { evaluateFeatureSets } from './evaluate.js';
import { FoldFitPool } from './fold-fit-pool.js';

/** 600 clients: `good.arrow` predicts both targets, `noise.arrow` does not; labels.csv has 10 extra ids. */
async function fixture(dir: string): Promise<void> {
  const rng = new Rng(11);
  const n = 600;
  const ids = Int32Array.from({ length: n }, (_, i) => 1000 + i);
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  const noise = new Float32Array(n);
  const lines = ['client_id,age_group,gender'];
  for (let i = 0; i < n; i++) {
    a[i] = rng.normal();
    b[i] = rng.normal();
    noise[i] = rng.normal();
    const age = a[i]! + 0.3 * rng.normal() < -0.5 ? 0 : a[i]! < 0.5 ? 1 : 2;
    const gender = b[i]! + 0.5 * rng.normal() > 0 ? 1 : 0;
    lines.push(`${ids[i]},${age},${i % 50 === 0 ? '' : gender}`);
  }
  for (let i = 0; i < 10; i++) lines.push(`${9000 + i},1,0`);
  await writeFile(join(dir, 'labels.csv'), lines.join('\n'));
  await writeArrowTable(join(dir, 'good.arrow'), tableFromColumns({ client_id: ids, a, b }));
  await writeArrowTable(join(dir, 'noise.arrow'), tableFromColumns({ client_id: ids, noise }));
}

describe('evaluateFeatureSets', () => {
  it('runs the 5-fold protocol per set and target, ranks an informative set above noise, t-tests against the baseline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-eval-'));
    try {
      await fixture(dir);
      const progress: string[] = [];
      const result = await evaluateFeatureSets({
        targetsPath: join(dir, 'labels.csv'),
        idColumn: 'client_id',
        targets: [{ column: 'age_group', kind: 'multiclass' }, { column: 'gender', kind: 'binary' }],
        featureSets: [
          { name: 'noise', paths: [join(dir, 'noise.arrow')] },
          { name: 'good', paths: [join(dir, 'good.arrow')] },
          { name: 'both', paths: [join(dir, 'good.arrow'), join(dir, 'noise.arrow')] },
        ],
        baseline: 'noise',
        numIterations: 20,
        params: { multiclass: { minDataInLeaf: 10 }, binary: { minDataInLeaf: 10 } },
        onProgress: (m) => progress.push(m),
      });
      assert.equal(progress.length, 3 * 2 * 5);
      assert.deepEqual(result.protocol, { folds: 5, testFraction: 0.1, seed: 42, numIterations: { multiclass: 20, binary: 20 } });
      const age = result.splits.find((s) => s.target === 'age_group')!;
      assert.equal(age.labelled, 610);
      assert.equal(age.used, 600);
      assert.equal(age.test, 60);
      const gender = result.splits.find((s) => s.target === 'gender')!;
      assert.equal(gender.used, 588);
      assert.deepEqual(gender.classes, ['0', '1']);
      assert.ok(result.warnings.some((w) => /target `age_group`: 10 of 610 labelled ids have no features/.test(w)));

      const get = (set: string, target: string) => result.results.find((r) => r.set === set && r.target === target)!;
      assert.deepEqual(get('good', 'gender').metrics.map((m) => m.metric), ['auroc', 'accuracy']);
      assert.deepEqual(get('good', 'age_group').metrics.map((m) => m.metric), ['accuracy']);
      for (const r of result.results) {
        for (const m of r.metrics) {
          assert.equal(m.foldScores.length, 5);
          assert.equal(m.testScores.length, 5);
          assert.ok(m.test.halfWidth >= 0);
        }
      }
      const goodAge = get('good', 'age_group').metrics[0]!;
      const noiseAge = get('noise', 'age_group').metrics[0]!;
      assert.ok(goodAge.test.mean > 0.75, `good age accuracy ${goodAge.test.mean}`);
      assert.ok(noiseAge.test.mean < 0.55, `noise age accuracy ${noiseAge.test.mean}`);
      assert.ok(get('good', 'gender').metrics[0]!.test.mean > 0.8);
      assert.ok(Math.abs(get('noise', 'gender').metrics[0]!.valid.mean - 0.5) < 0.1);
      assert.equal(get('both', 'gender').features, 3);
      // Gender depends on column b only, so b must carry most of the split gain.
      const top = get('both', 'gender').topFeatures;
      assert.equal(top[0]!.name, 'b');
      assert.ok(top[0]!.gainShare > 0.5);
      assert.ok(Math.abs(top.reduce((a, t) => a + t.gainShare, 0) - 1) < 1e-9);

      const vsNoise = result.comparisons.find((c) => c.set === 'good' && c.target === 'age_group' && c.part === 'valid')!;
      assert.ok(vsNoise.test.meanDiff > 0.2);
      assert.ok(vsNoise.test.pValue < 0.01);
      assert.ok(!result.comparisons.some((c) => c.set === 'noise'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives the same results with fits one after another and two at a time on worker threads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-eval-'));
    try {
      await fixture(dir);
      const run = (parallelFits: number) => evaluateFeatureSets({
        targetsPath: join(dir, 'labels.csv'), idColumn: 'client_id',
        targets: [{ column: 'age_group', kind: 'multiclass' }, { column: 'gender', kind: 'binary' }],
        featureSets: [{ name: 'noise', paths: [join(dir, 'noise.arrow')] }, { name: 'both', paths: [join(dir, 'good.arrow'), join(dir, 'noise.arrow')] }],
        baseline: 'noise', numIterations: 15, parallelFits,
      });
      const [one, two] = [await run(1), await run(2)];
      const timeless = (r: typeof one) => ({ ...r, results: r.results.map(({ seconds, ...rest }) => { assert.ok(seconds > 0); return rest; }) });
      assert.deepEqual(timeless(two), timeless(one));
      await assert.rejects(run(0), { name: 'ConfigError', message: /Expected `parallelFits` to be an integer .*1.*, got `0`/ });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('through a shared memoizing pool, a set evaluated earlier is not fitted again, and the table is the one a fresh run gives', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-eval-'));
    const pool = new FoldFitPool(1, { memoize: true });
    try {
      await fixture(dir);
      const good = { name: 'good', paths: [join(dir, 'good.arrow')] };
      const noise = { name: 'noise', paths: [join(dir, 'noise.arrow')] };
      const run = (featureSets: { name: string; paths: string[] }[], shared?: FoldFitPool) => evaluateFeatureSets({
        targetsPath: join(dir, 'labels.csv'), idColumn: 'client_id',
        targets: [{ column: 'age_group', kind: 'multiclass' }, { column: 'gender', kind: 'binary' }],
        featureSets, numIterations: 15, ...(featureSets.length > 1 ? { baseline: 'noise' } : {}), ...(shared ? { pool: shared } : {}),
      });
      const early = await run([good], pool);
      assert.equal(pool.memoHits, 0);
      const later = await run([good, noise], pool);
      assert.equal(pool.memoHits, 2 * 5, 'every fold of `good`, both targets, came from memory');
      const fresh = await run([good, noise]);
      const timeless = (r: typeof fresh) => ({ ...r, results: r.results.map(({ seconds, ...rest }) => rest) });
      assert.deepEqual(timeless(later), timeless(fresh));
      assert.deepEqual(timeless(later).results.filter((r) => r.set === 'good'), timeless(early).results);
      // The caller's pool is still open after both evaluations.
      await pool.run(() => ({ params: { objective: 'binary', seed: 1 }, numIterations: 2, cols: 1, trainX: Float64Array.of(0, 1, 0, 1), trainY: Int32Array.of(0, 1, 0, 1), heldX: Float64Array.of(1), testX: new Float64Array(0) }));
    } finally {
      await pool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops when its AbortSignal is aborted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-eval-'));
    try {
      await fixture(dir);
      const controller = new AbortController();
      await assert.rejects(
        evaluateFeatureSets({
          targetsPath: join(dir, 'labels.csv'), idColumn: 'client_id', targets: [{ column: 'gender', kind: 'binary' }],
          featureSets: [{ name: 'good', paths: [join(dir, 'good.arrow')] }], numIterations: 5, signal: controller.signal,
          onProgress: (m) => { if (m.endsWith('fold 2 of 5')) controller.abort(new Error('stop requested')); },
        }),
        /stop requested/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown baseline and duplicate set names', async () => {
    const base = { targetsPath: 'x.csv', idColumn: 'id', targets: [{ column: 'y', kind: 'binary' as const }] };
    await assert.rejects(evaluateFeatureSets({ ...base, featureSets: [{ name: 'a', paths: ['a.arrow'] }], baseline: 'b' }), {
      name: 'ConfigError', message: /The baseline `b` is not one of the feature sets \(a\)/,
    });
    await assert.rejects(evaluateFeatureSets({ ...base, featureSets: [{ name: 'a', paths: ['a'] }, { name: 'a', paths: ['b'] }] }), {
      name: 'ConfigError', message: /`a` is given twice/,
    });
  });
});
