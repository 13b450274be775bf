import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { ConfigError } from '../../errors.js';
import { buildReportOf } from './build-report.js';
import { writeTestTrainingRun, type TestTrainingRun } from './test-run-dir.js';
import { trainingRunInfo } from './training-run.js';

describe('trainingRunInfo on a meles train directory', () => {
  let dir: string;
  let fixture: TestTrainingRun;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meles-train-report-'));
    fixture = await writeTestTrainingRun(dir, 60);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('reads the model facts, configuration and training time; labels and id column default from the files', async () => {
    const run = await trainingRunInfo(fixture.run, { embeddings: [...fixture.embeddings], targets: fixture.targets });
    assert.equal(run.backend, 'cpu');
    assert.deepEqual(run.model, { encoder: 'GRU, hidden 8', parameters: 32, embeddingSize: 8, bytes: 128 });
    assert.deepEqual(run.config, { method: 'meles', epochs: 2, encoder: { encoder: 'gru', hidden: 8 } });
    assert.equal(run.timings.length, 1);
    assert.match(run.timings[0]!.step, /train: 2 epoch\(s\), from metrics\.jsonl/);
    assert.ok(Math.abs(run.timings[0]!.seconds - 8.419) < 1e-9);
    assert.equal(run.idColumn, 'client_id');
    assert.deepEqual(run.labels, [{ column: 'age_group' }, { column: 'gender' }]);
    assert.deepEqual(run.files.embeddings.map((e) => e.name), ['meles', 'random']);
  });

  it('takes --target and --id as given', async () => {
    const run = await trainingRunInfo(fixture.run, { embeddings: [fixture.embeddings[0]], targets: fixture.targets, idColumn: 'client_id', labels: ['gender'] });
    assert.deepEqual(run.labels, [{ column: 'gender' }]);
  });

  it('builds a report with curves, four scored projections, model size, and "Not available" for the rest', async () => {
    const run = await trainingRunInfo(fixture.run, { embeddings: [fixture.embeddings[0]], targets: fixture.targets });
    const out = join(dir, 'out', 'train-report.html');
    const built = await buildReportOf(fixture.run, run, { sample: 40, tsneSteps: 30, out });
    assert.equal(built.html, out);
    const html = await readFile(out, 'utf8');
    assert.match(html, /<figure class="chart" id="training-chart"><svg/);
    assert.match(html, /Not available: .*compare\/report\.json does not exist/);
    assert.match(html, /Not available: .*inspect\.json does not exist/);
    assert.match(html, /GRU, hidden 8/);
    assert.match(html, /0\.1 KiB/);
    assert.deepEqual(built.content.projections.map((p) => p.method), ['PCA', 'UMAP', 't-SNE', 'TriMap']);
    for (const p of built.content.projections) assert.ok(p.local >= -1 && p.local <= 1 && p.global >= 0 && p.global <= 1, JSON.stringify(p));
    const pngs = (await readdir(join(dir, 'out'))).filter((f) => f.endsWith('.png'));
    assert.equal(pngs.length, 1 + 4 * 2);
    assert.ok(!(await readdir(fixture.run)).includes('report.html'), 'nothing written into the run directory');
  });

  it('refuses what is not a training run, naming the flag or file', async () => {
    const input = { embeddings: [...fixture.embeddings], targets: fixture.targets };
    const rejects = (promise: Promise<unknown>, pattern: RegExp) => assert.rejects(promise, (e) => e instanceof ConfigError && pattern.test(e.message));
    await rejects(trainingRunInfo(join(dir, 'nowhere'), input), /found no directory at .*nowhere/);
    const empty = join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    await rejects(trainingRunInfo(empty, input), /found neither model\.json nor metrics\.jsonl/);
    await rejects(trainingRunInfo(fixture.run, { ...input, embeddings: [join(dir, 'missing.arrow')] }), /`--embeddings` to name an existing Arrow file, found nothing at .*missing\.arrow/);
    await rejects(trainingRunInfo(fixture.run, { ...input, targets: join(dir, 'no.arrow') }), /`--targets`/);
    await rejects(trainingRunInfo(fixture.run, { ...input, labels: ['agegroup'] }), /`--target agegroup` to be a column of .*targets\.arrow, found: age_group, gender/);
    const bare = join(dir, 'bare.arrow');
    await writeArrowTable(bare, tableFromColumns({ client_id: Int32Array.of(1, 2), emb_0: Float32Array.of(0, 1), emb_1: Float32Array.of(1, 0) }));
    await rejects(trainingRunInfo(fixture.run, { ...input, embeddings: [bare] }), /Expected `--id COLUMN`: .*bare\.arrow does not record its id column/);
    const demo = join(dir, 'demo');
    await mkdir(demo, { recursive: true });
    await writeFile(join(demo, 'run.json'), '{}');
    await rejects(trainingRunInfo(demo, input), /has run\.json \(a demo run\)/);
  });
});
