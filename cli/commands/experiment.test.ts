import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { meles } from '../../data/testing/run-meles.js';

/** The table without the wall-time sentence (the only line that may differ between runs). */
const withoutTimes = (md: string): string => md.replace(/Wall time [0-9.]+ s/g, 'Wall time');

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meles-experiment-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('meles experiment', () => {
  it('runs the pairs table end to end on the tiny scale; a re-run retrains nothing and prints the same table', async () => {
    const out = join(dir, 'exp');
    const first = await meles('experiment', 'pairs', '--out', out, '--scale', 'tiny', '--json');
    assert.equal(first.code, 0, first.stderr);
    const result = JSON.parse(first.stdout) as { trainings: { ran: number; reused: number }; table: { method: string }[] };
    assert.deepEqual(result.trainings, { ran: 3, reused: 0 });
    assert.deepEqual([...new Set(result.table.map((r) => r.method))], ['Random samples', 'Random disjoint samples', 'Random slices']);
    const files = await readdir(out);
    for (const f of ['pairs.json', 'pairs.md', 'pairs.html', 'RESULTS.md']) assert.ok(files.includes(f), f);
    const md = await readFile(join(out, 'pairs.md'), 'utf8');
    assert.match(md, /\| Pair generation method \| age_group accuracy ± 95% \| gender AUROC ± 95% \| published \(lecture\): age accuracy \/ gender AUROC \|/);
    assert.match(md, /\| Random slices \| 0\.\d{3} ± \d+\.\d{3} \| 0\.\d{3} ± \d+\.\d{3} \| 0\.639 ± 0\.006 \/ 0\.872 ± 0\.005 \|/);
    const json = JSON.parse(await readFile(join(out, 'pairs.json'), 'utf8')) as { command: string; comparison: { baseline: string } };
    assert.equal(json.command, `meles experiment pairs --out ${out} --scale tiny`);
    assert.equal(json.comparison.baseline, 'Random slices');

    const again = await meles('experiment', 'pairs', '--out', out, '--scale', 'tiny', '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((JSON.parse(again.stdout) as typeof result).trainings, { ran: 0, reused: 3 });
    assert.equal(withoutTimes(await readFile(join(out, 'pairs.md'), 'utf8')), withoutTimes(md));
  });

  it('runs the models table on the tiny scale: all eight lecture rows measured, the sequence models included on the same splits and cached', async () => {
    const out = join(dir, 'models');
    const run = await meles('experiment', 'models', '--out', out, '--scale', 'tiny', '--json');
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { trainings: { ran: number }; modelRows: { ran: number; reused: number }; table: { method: string; mean: number }[] };
    assert.deepEqual(result.modelRows, { ran: 3, reused: 0 });
    const rows = [
      'LightGBM on hand-crafted features', 'LightGBM on MeLES embeddings', 'LightGBM on both hand-crafted features and MeLES embeddings', 'Supervised learning',
      'MeLES fine-tuning', 'LightGBM on CPC embeddings', 'Fine-tuned Contrastive Predictive Coding', 'LightGBM on a random encoder',
    ];
    assert.deepEqual([...new Set(result.table.map((r) => r.method))], rows);
    assert.ok(result.table.every((r) => Number.isFinite(r.mean)));
    const md = await readFile(join(out, 'models.md'), 'utf8');
    for (const row of rows) assert.match(md, new RegExp(`\\| ${row} \\| 0\\.\\d{3} ± \\d+\\.\\d{3} \\| 0\\.\\d{3} ± \\d+\\.\\d{3} \\|`), row);
    // The model rows share the t-tests against the default LightGBM row.
    assert.match(md, /Paired t-tests against `LightGBM on MeLES embeddings`[\s\S]*MeLES fine-tuning/);
    const json = JSON.parse(await readFile(join(out, 'models.json'), 'utf8')) as { comparison: { included: unknown[] } };
    assert.equal(json.comparison.included.length, 3);
    // Each row's evaluation.json records how its fold models were fine-tuned (none from scratch).
    const evaluations = await Promise.all((await readdir(join(out, 'models'))).map(async (h) => JSON.parse(await readFile(join(out, 'models', h, 'evaluation.json'), 'utf8')) as { name: string; finetune?: unknown }));
    const finetuneOf = Object.fromEntries(evaluations.map((e) => [e.name, e.finetune ?? null]));
    const tuned = { encoderLearningRate: 1e-4, headLearningRate: 2e-3, freezeEncoder: false, standardizeEmbedding: true };
    assert.deepEqual(finetuneOf, { 'Supervised learning': null, 'MeLES fine-tuning': tuned, 'Fine-tuned Contrastive Predictive Coding': tuned });

    // label-fraction in the same directory: the 100% rows are the models table's, reused.
    const fractions = await meles('experiment', 'label-fraction', '--out', out, '--scale', 'tiny', '--json');
    assert.equal(fractions.code, 0, fractions.stderr);
    const lf = JSON.parse(fractions.stdout) as { trainings: { ran: number }; modelRows: { ran: number; reused: number }; table: { fraction: number }[] };
    assert.deepEqual(lf.modelRows, { ran: 2, reused: 2 });
    assert.equal(lf.trainings.ran, 0);
    assert.deepEqual([...new Set(lf.table.map((r) => r.fraction))], [0.5, 1]);
    const page = await readFile(join(out, 'label-fraction.md'), 'utf8');
    assert.match(page, /### gender AUROC ± 95% by labelled fraction\n\n\| Method \| 50% \| 100% \|/);
    assert.match(page, /\| MeLES fine-tuning \| 0\.\d{3} ± \d+\.\d{3} \| 0\.\d{3} ± \d+\.\d{3} \|/);
    const html = await readFile(join(out, 'label-fraction.html'), 'utf8');
    assert.match(html, /<figure class="chart" id="label-fraction-chart"><svg/);
    assert.match(await readFile(join(out, 'RESULTS.md'), 'utf8'), /## Models[\s\S]*## Share of labelled data/);
  });

  it('exits 2 on an unknown experiment or scale and on incomplete data flags, writing nothing', async () => {
    const out = join(dir, 'bad');
    const name = await meles('experiment', 'pairz', '--out', out);
    assert.equal(name.code, 2);
    assert.match(name.stderr, /Expected `experiment` to be one of .*`pairs`.*got `pairz`/);
    const scale = await meles('experiment', 'pairs', '--out', out, '--scale', 'huge');
    assert.equal(scale.code, 2);
    assert.match(scale.stderr, /`scale`.*`huge`/);
    const partial = await meles('experiment', 'pairs', '--out', out, '--data', 'tx.arrow');
    assert.equal(partial.code, 2);
    assert.match(partial.stderr, /needs all of `--data FILE --schema FILE --targets FILE --target COLUMN:kind`/);
    await assert.rejects(readdir(out), { code: 'ENOENT' });
  });
});
