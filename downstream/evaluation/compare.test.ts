import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { Rng } from '../../data/random.js';
import { meles } from '../../data/testing/run-meles.js';
import type { CompareResult } from './compare.js';

async function fixture(dir: string): Promise<void> {
  const rng = new Rng(5);
  const n = 300;
  const ids = Array.from({ length: n }, (_, i) => `c${i}`);
  const signal = new Float32Array(n);
  const noise = new Float32Array(n);
  const lines = ['id,age_group,gender,constant'];
  for (let i = 0; i < n; i++) {
    signal[i] = rng.normal();
    noise[i] = rng.normal();
    lines.push(`${ids[i]},${signal[i]! < -0.4 ? 0 : signal[i]! < 0.4 ? 1 : 2},${signal[i]! + rng.normal() > 0 ? 1 : 0},1`);
  }
  await writeFile(join(dir, 'labels.csv'), lines.join('\n'));
  await writeArrowTable(join(dir, 'hand.arrow'), tableFromColumns({ id: ids, noise }));
  await writeArrowTable(join(dir, 'emb.arrow'), tableFromColumns({ id: ids, emb_0: signal }));
}

describe('meles compare / evaluate', () => {
  it('writes report.json, report.md and a self-contained report.html', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-cmp-'));
    try {
      await fixture(dir);
      const out = join(dir, 'out');
      const r = await meles(
        'compare', '--targets', join(dir, 'labels.csv'), '--id', 'id',
        '--target', 'age_group:multiclass', '--target', 'gender:binary',
        '--set', `handcrafted=${join(dir, 'hand.arrow')}`, '--set', `meles=${join(dir, 'emb.arrow')}`,
        '--set', `both=${join(dir, 'hand.arrow')},${join(dir, 'emb.arrow')}`,
        '--num-iterations', '10', '--params', '{"multiclass": {"minDataInLeaf": 5}, "binary": {"minDataInLeaf": 5}}',
        '--out', out,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual((await readdir(out)).sort(), ['report.html', 'report.json', 'report.md']);
      const json = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as CompareResult;
      assert.equal(json.results.length, 6);
      assert.equal(json.baseline, 'handcrafted');
      for (const res of json.results) {
        const m = res.metrics[0]!;
        assert.equal(m.metric, res.target === 'gender' ? 'auroc' : 'accuracy');
        assert.equal(m.foldScores.length, 5);
        assert.equal(m.testScores.length, 5);
        for (const key of ['mean', 'std', 'halfWidth'] as const) assert.equal(typeof m.test[key], 'number');
      }
      const emb = json.results.find((x) => x.set === 'meles' && x.target === 'age_group')!.metrics[0]!.test.mean;
      const hand = json.results.find((x) => x.set === 'handcrafted' && x.target === 'age_group')!.metrics[0]!.test.mean;
      assert.ok(emb > hand + 0.2, `meles ${emb} vs handcrafted ${hand}`);
      const md = await readFile(join(out, 'report.md'), 'utf8');
      assert.match(md, /\| method \| age_group accuracy ± 95% \| gender AUROC ± 95% \|/);
      assert.match(md, /\| meles \| 0\.\d{3} ± 0\.\d{3} \| 0\.\d{3} ± 0\.\d{3} \|/);
      const html = await readFile(join(out, 'report.html'), 'utf8');
      assert.match(html, /<svg[\s\S]*<\/svg>/);
      assert.doesNotMatch(html, /(src|href)=["']?https?:/, 'no external resources');
      assert.match(html, /<td>both<\/td>/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits with 2 and a clear message for a one-class target and a bad --set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-cmp-'));
    try {
      await fixture(dir);
      const r = await meles(
        'evaluate', '--targets', join(dir, 'labels.csv'), '--id', 'id', '--target', 'constant:binary',
        '--features', join(dir, 'emb.arrow'), '--fast', '--out', join(dir, 'out'),
      );
      assert.equal(r.code, 2);
      assert.match(r.stderr, /labels\.csv: target `constant` \(binary\): expected at least 2 classes, found 1 \(`1`\)/);
      const bad = await meles('compare', '--targets', join(dir, 'labels.csv'), '--id', 'id', '--target', 'gender:binary', '--set', 'oops', '--out', join(dir, 'out'));
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /Expected `--set` as name=file\[,file…\], got `oops`/);
      for (const [value, shown] of [['0', '`0` (number)'], ['two', '`two` (string)']] as const) {
        const fits = await meles('compare', '--targets', join(dir, 'labels.csv'), '--id', 'id', '--target', 'gender:binary', '--set', `e=${join(dir, 'emb.arrow')}`, '--fast', '--parallel-fits', value, '--out', join(dir, 'out'));
        assert.equal(fits.code, 2, fits.stderr);
        assert.ok(fits.stderr.includes(`Expected \`--parallel-fits\` to be an integer in [1, 64], got ${shown}`), fits.stderr);
      }
      await assert.rejects(readdir(join(dir, 'out')));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
