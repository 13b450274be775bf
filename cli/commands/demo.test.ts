import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveDemoOptions, runDemo } from './demo.js';
import { ConfigError } from '../../errors.js';

const silent = { step: () => {}, note: () => {}, stop: () => {} };

describe('meles demo', () => {
  it('validates its options at the boundary', () => {
    assert.throws(() => resolveDemoOptions({ clients: 10 }), (e) => e instanceof ConfigError && /Expected `clients` to be an integer >= 200, got `10` \(number\)/.test(e.message));
    assert.throws(() => resolveDemoOptions({ epochs: 0 }), /Expected `epochs` to be an integer >= 1/);
    assert.equal(resolveDemoOptions({}).out, 'runs/demo');
  });

  it('runs end to end on a tiny size and writes a report whose table comes from the run', async () => {
    const out = await mkdtemp(join(tmpdir(), 'meles-demo-'));
    try {
      const tensorsBefore = tf.memory().numTensors;
      const result = await runDemo(resolveDemoOptions({ out, clients: 200, epochs: 1, hidden: 8, trees: 10, sample: 40 }), silent);
      assert.equal(tf.memory().numTensors, tensorsBefore, 'the demo leaked tensors');
      assert.equal(result.table.length, 8); // 4 feature sets × 2 targets
      assert.deepEqual([...new Set(result.table.map((r) => r.set))], ['hand-crafted', 'MeLES', 'hand-crafted + MeLES', 'random encoder']);
      const html = await readFile(result.report, 'utf8');
      const report = JSON.parse(await readFile(join(out, 'compare', 'report.json'), 'utf8')) as { results: { set: string; metrics: { test: { mean: number } }[] }[] };
      // The number in the page is the one in report.json (3 decimals), not a constant.
      const meles = report.results.find((r) => r.set === 'MeLES')!.metrics[0]!.test.mean;
      assert.ok(html.includes(`${meles.toFixed(3)} ± `));
      const files = await readdir(out);
      for (const f of ['run.json', 'inspect.json', 'pipeline.json', 'report.html', 'ab-comparison.png', 'training-curves.png']) assert.ok(files.includes(f), f);
      assert.equal(files.filter((f) => f.startsWith('embedding-')).length, 12);
      assert.ok(result.timings.some((t) => t.step === 'train'));
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
