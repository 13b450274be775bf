import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport, type BuiltReport } from './build-report.js';
import { writeTestRunDir } from './test-run-dir.js';
import { ConfigError, DataFormatError } from '../../errors.js';

describe('buildReport on a run directory', () => {
  let dir: string;
  let built: BuiltReport;
  let html: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meles-report-'));
    await writeTestRunDir(dir);
    built = await buildReport(dir, { sample: 60, tsneSteps: 60, part: 'valid' });
    html = await readFile(built.html, 'utf8');
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('shows the A/B numbers from report.json, marking the best per column', () => {
    assert.match(html, /<td class="best">0\.543 ± 0\.022<\/td>/);
    assert.match(html, /0\.299 ± 0\.013/);
    assert.match(html, /gender AUROC ± 95%/);
    assert.match(html, /out-of-fold, 5-fold cross-validation/);
    assert.doesNotMatch(html, /0\.999/); // only the primary metric is shown
    assert.match(html, /best <b>MeLES<\/b> 0\.770/);
  });

  it('shows the paired t-tests of the same part and the comparison warnings', () => {
    assert.match(html, /Paired t-tests against random encoder/);
    assert.match(html, /<td>MeLES<\/td><td>age_group accuracy<\/td><td>\+0\.245<\/td><td>8\.4e-4<\/td>/);
    assert.doesNotMatch(html, /\+0\.010/); // the test-part row is not mixed in
    assert.match(html, /3 ids of targets\.arrow have no features/);
  });

  it('shows the test-part scores by default', async () => {
    const again = await buildReport(dir, { sample: 20, tsneSteps: 20 });
    const text = await readFile(again.html, 'utf8');
    assert.match(text, /on the isolated test part, one model per fold \(5 folds\)/);
    assert.match(text, /<td class="best">0\.100 ± 0\.000<\/td>/);
    // Later tests count the files of the first build; rebuild it the same way.
    await buildReport(dir, { sample: 60, tsneSteps: 60, part: 'valid' });
  });

  it('inlines the bar chart and training curves as SVG with the run\'s values', () => {
    assert.match(html, /<figure class="chart" id="ab-chart"><svg/);
    assert.match(html, /<figure class="chart" id="training-chart"><svg/);
    assert.match(html, /0\.457/); // recall@4 of epoch 2
    assert.match(html, /43,210/); // events/s of epoch 2
  });

  it('writes one PNG per projection and label for each embedding set, also inlined', async () => {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.png')).sort();
    assert.equal(files.length, 2 + 2 * 4 * 2);
    assert.ok(files.includes('embedding-meles-t-sne-age-group.png'));
    assert.ok(files.includes('embedding-random-encoder-umap-gender.png'));
    assert.ok(files.includes('embedding-meles-trimap-gender.png'));
    assert.equal(html.match(/src="data:image\/png;base64,iVBOR/g)?.length, 16);
    assert.ok(!files.some((f) => f.includes('.tmp-')));
  });

  it('scores every projection of every embedding: local in [-1, 1], global in [0, 1], PCA globally 1', () => {
    const rows = built.content.projections;
    assert.deepEqual(rows.map((r) => `${r.embedding}/${r.method}`), [
      'MeLES/PCA', 'MeLES/UMAP', 'MeLES/t-SNE', 'MeLES/TriMap',
      'random encoder/PCA', 'random encoder/UMAP', 'random encoder/t-SNE', 'random encoder/TriMap',
    ]);
    for (const r of rows) {
      assert.ok(r.local >= -1 && r.local <= 1, `${r.embedding} ${r.method} local ${r.local}`);
      assert.ok(r.global >= 0 && r.global <= 1, `${r.embedding} ${r.method} global ${r.global}`);
      assert.equal(r.points, 60);
    }
    for (const r of rows.filter((p) => p.method === 'PCA')) assert.ok(Math.abs(r.global - 1) < 1e-9);
    // The fixture's trained embeddings cluster by age group; its random ones have no neighbourhoods to keep.
    const meles = rows.find((r) => r.embedding === 'MeLES' && r.method === 'TriMap')!;
    const random = rows.find((r) => r.embedding === 'random encoder' && r.method === 'TriMap')!;
    assert.ok(meles.local > random.local, `TriMap local ${meles.local} vs ${random.local}`);
    // Every picture carries the scores of its projection, which the caption and the table print.
    for (const p of built.content.pictures.kind === 'present' ? built.content.pictures.value : []) {
      const row = rows.find((r) => r.embedding === p.embedding && r.method === p.method)!;
      assert.deepEqual(p.scores, { local: row.local, global: row.global });
    }
    assert.match(html, /<table id="projection-scores">/);
    assert.match(html, /Local score: how well each client keeps its nearest neighbours/);
    assert.match(html, new RegExp(`<td>MeLES</td><td>TriMap</td><td>60</td><td>${meles.local.toFixed(3)}</td><td>${meles.global.toFixed(3)}</td>`));
    assert.match(html, new RegExp(`TriMap, coloured by gender · local ${meles.local.toFixed(3)} · global ${meles.global.toFixed(3)}`));
  });

  it('reports run facts, timings (run and report) and the data summary', () => {
    assert.match(html, /23,456/);
    assert.match(html, /96\.0 KiB/);
    assert.match(html, /77\.3 s/); // train timing from run.json, rounded
    assert.match(html, /report: t-SNE of MeLES \(60 clients\)/);
    assert.match(html, /report: TriMap of random encoder \(60 clients\)/);
    assert.match(html, /report: local and global scores of MeLES \(4 projections\)/);
    assert.match(html, /lengthQuantiles\.p90<\/td><td>654/);
    assert.match(html, /columns\.mcc<\/td><td>type Utf8, nulls 7/);
    assert.match(html, /top<\/td><td>a 10; b 4/);
    assert.match(html, /random encoder: 1 client\(s\) have no labels/);
  });

  it('says which files are missing instead of failing', async () => {
    await rm(join(dir, 'train/metrics.jsonl'));
    const again = await buildReport(dir, { sample: 20, tsneSteps: 20 });
    const text = await readFile(again.html, 'utf8');
    assert.match(text, /Not available: .*train\/metrics\.jsonl does not exist/);
    assert.equal(again.content.training.kind, 'missing');
  });
});

describe('buildReport input errors', () => {
  it('rejects a directory without run.json with a ConfigError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-report-'));
    try {
      await assert.rejects(buildReport(dir), (e) => e instanceof ConfigError && /is not a run directory/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the file and line of a broken metrics log and leaves no report behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-report-'));
    try {
      await writeTestRunDir(dir, 40);
      const line = { epoch: 1, loss: 1, recallAt4: null, learningRate: 0.002, batches: 1, events: 10, seconds: 1, eventsPerSecond: 10 };
      await writeFile(join(dir, 'train/metrics.jsonl'), `${JSON.stringify(line)}\nnot json\n`);
      await assert.rejects(buildReport(dir, { sample: 20 }), (e) => e instanceof DataFormatError && /metrics\.jsonl line 2/.test(e.message));
      assert.ok(!(await readdir(dir)).includes('report.html'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects an invalid run.json naming the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-report-'));
    try {
      await writeFile(join(dir, 'run.json'), JSON.stringify({ formatVersion: 1, files: { embeddings: [{ name: 'x' }] } }));
      await assert.rejects(buildReport(dir), (e) => e instanceof DataFormatError && /files\.embeddings\[0\]\.path/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
