import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { Rng } from '../../data/random.js';
import { compareFeatureSets } from './compare.js';
import { evaluateFeatureSets } from './evaluate.js';
import type { EvaluateOptions } from './evaluate-types.js';
import { readIncludedEvaluation } from './included-evaluation.js';

/** 300 clients: `signal.arrow` predicts both targets, `noise.arrow` does not; `fewer.arrow` lacks one client. */
async function fixture(dir: string): Promise<void> {
  const rng = new Rng(5);
  const n = 300;
  const ids = Array.from({ length: n }, (_, i) => `c${i}`);
  const signal = new Float32Array(n);
  const noise = new Float32Array(n);
  const lines = ['id,age_group,gender'];
  for (let i = 0; i < n; i++) {
    signal[i] = rng.normal();
    noise[i] = rng.normal();
    lines.push(`${ids[i]},${signal[i]! < -0.4 ? 0 : signal[i]! < 0.4 ? 1 : 2},${signal[i]! + rng.normal() > 0 ? 1 : 0}`);
  }
  await writeFile(join(dir, 'labels.csv'), lines.join('\n'));
  await writeArrowTable(join(dir, 'noise.arrow'), tableFromColumns({ id: ids, noise }));
  await writeArrowTable(join(dir, 'signal.arrow'), tableFromColumns({ id: ids, emb_0: signal }));
  await writeArrowTable(join(dir, 'fewer.arrow'), tableFromColumns({ id: ids.slice(1), emb_0: signal.slice(1) }));
}

function base(dir: string): EvaluateOptions {
  return {
    targetsPath: join(dir, 'labels.csv'),
    idColumn: 'id',
    targets: [{ column: 'age_group', kind: 'multiclass' }, { column: 'gender', kind: 'binary' }],
    featureSets: [{ name: 'handcrafted', paths: [join(dir, 'noise.arrow')] }],
    numIterations: 10,
    params: { multiclass: { minDataInLeaf: 5 }, binary: { minDataInLeaf: 5 } },
  };
}

/** Runs an evaluation of `file` as the row `name` and writes it where `meles evaluate-model` would. */
async function evaluationDir(dir: string, name: string, file: string, extra: Partial<EvaluateOptions> = {}): Promise<string> {
  const out = join(dir, name);
  const result = await evaluateFeatureSets({ ...base(dir), featureSets: [{ name, paths: [join(dir, file)] }], ...extra });
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'evaluation.json'), JSON.stringify(result));
  return out;
}

describe('compareFeatureSets with included evaluations', () => {
  it('adds the included rows, keeps their scores and t-tests them against the baseline fold by fold', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-include-'));
    try {
      await fixture(dir);
      const included = await readIncludedEvaluation(await evaluationDir(dir, 'model', 'signal.arrow'));
      const result = await compareFeatureSets({ ...base(dir), baseline: 'handcrafted', include: [included] });
      assert.deepEqual([...new Set(result.results.map((r) => r.set))], ['handcrafted', 'model']);
      const row = result.results.find((r) => r.set === 'model' && r.target === 'age_group')!;
      assert.deepEqual(row.metrics[0]!.foldScores, included.result.results.find((r) => r.target === 'age_group')!.metrics[0]!.foldScores);
      const test = result.comparisons.find((c) => c.set === 'model' && c.target === 'age_group' && c.part === 'valid')!;
      const hand = result.results.find((r) => r.set === 'handcrafted' && r.target === 'age_group')!.metrics[0]!.foldScores;
      const diffs = row.metrics[0]!.foldScores.map((s, f) => s - hand[f]!);
      assert.ok(Math.abs(test.test.meanDiff - diffs.reduce((a, b) => a + b) / diffs.length) < 1e-12);
      assert.ok(test.test.meanDiff > 0.2 && test.test.pValue < 0.01, `model vs noise: ${JSON.stringify(test.test)}`);
      assert.deepEqual(result.included, [{ path: included.path, sets: ['model'] }]);
      // An included row may be the baseline.
      const flipped = await compareFeatureSets({ ...base(dir), baseline: 'model', include: [included] });
      assert.ok(flipped.comparisons.some((c) => c.set === 'handcrafted' && c.baseline === 'model' && c.test.meanDiff < 0));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses, before training anything, a run scored on other clients, another protocol or a row name taken', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-include-'));
    try {
      await fixture(dir);
      let trained = 0;
      const options = { ...base(dir), onProgress: () => void trained++ };
      const fewer = await readIncludedEvaluation(await evaluationDir(dir, 'fewer', 'fewer.arrow'));
      await assert.rejects(compareFeatureSets({ ...options, include: [fewer] }), {
        name: 'ConfigError', message: /fewer[/\\]evaluation\.json: target `age_group`: the included run saw different clients than this comparison — the labelled clients \(299 there, 300 here\) differ/,
      });
      const seed = await readIncludedEvaluation(await evaluationDir(dir, 'seed7', 'signal.arrow', { seed: 7 }));
      await assert.rejects(compareFeatureSets({ ...options, include: [seed] }), { name: 'ConfigError', message: /used --seed 7, this comparison 42/ });
      const half = await readIncludedEvaluation(await evaluationDir(dir, 'half', 'signal.arrow', { labelFraction: 0.5 }));
      await assert.rejects(compareFeatureSets({ ...options, include: [half] }), { name: 'ConfigError', message: /used --label-fraction 0\.5, this comparison 1/ });
      const same = await readIncludedEvaluation(await evaluationDir(dir, 'handcrafted', 'signal.arrow'));
      await assert.rejects(compareFeatureSets({ ...options, include: [same] }), { name: 'ConfigError', message: /row `handcrafted` is already in the comparison/ });
      await assert.rejects(readIncludedEvaluation(join(dir, 'nowhere')), { name: 'ConfigError', message: /nowhere[/\\]evaluation\.json: cannot read .*meles evaluate-model/ });
      assert.equal(trained, 0);
      // The same labelled fraction on both sides is accepted.
      const both = await compareFeatureSets({ ...base(dir), labelFraction: 0.5, include: [half] });
      assert.equal(both.protocol.labelFraction, 0.5);
      assert.ok(both.results.some((r) => r.set === 'half'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
