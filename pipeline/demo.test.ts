import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runDemo } from './demo.js';
import { resolveDemoOptions, type DemoProgress } from './demo-options.js';
import { ConfigError } from '../errors.js';

describe('demo workflow', () => {
  it('validates its options at the boundary', () => {
    assert.throws(() => resolveDemoOptions({ clients: 10 }), (e) => e instanceof ConfigError && /Expected `clients` to be an integer >= 200, got `10` \(number\)/.test(e.message));
    assert.throws(() => resolveDemoOptions({ epochs: 0 }), /Expected `epochs` to be an integer >= 1/);
    assert.equal(resolveDemoOptions({}).out, 'runs/demo');
  });

  it('runs end to end on a tiny size and writes a report whose table comes from the run', async () => {
    const out = await mkdtemp(join(tmpdir(), 'meles-demo-'));
    try {
      const tensorsBefore = tf.memory().numTensors;
      const events: DemoProgress[] = [];
      const result = await runDemo(resolveDemoOptions({ out, clients: 200, epochs: 1, hidden: 8, trees: 10, sample: 40 }), { onProgress: (e) => events.push(e) });
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
      assert.equal(files.filter((f) => f.startsWith('embedding-')).length, 16); // PCA, UMAP, t-SNE, TriMap × age/gender × MeLES/random
      assert.ok(result.timings.some((t) => t.step === 'train'));
      // The hand-crafted set's fits (2 targets × 5 folds) were made while the encoder trained, and the comparison reused them.
      assert.equal(result.fitsMadeDuringTraining, 10);
      // Steps in order, the pipeline's named by stepLabel, each announced with the same total.
      const steps = events.flatMap((e) => (e.kind === 'step' ? [e] : []));
      assert.deepEqual(steps.map((e) => e.name), ['generate', 'data summary', 'ingest', 'features', 'train', 'embed-shard 1/1', 'embed', 'random encoder', 'compare', 'report']);
      assert.deepEqual(steps.map((e) => e.index), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.ok(steps.every((e) => e.total === 10));
      const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as { files: { metrics: string; targets: string; embeddings: { path: string }[] } };
      assert.equal(run.files.metrics, 'pipeline/train/model/metrics.jsonl');
      assert.equal(run.files.targets, 'data/targets.arrow');
      assert.deepEqual(run.files.embeddings.map((e) => e.path), ['pipeline/embed/part-00000.arrow', 'random/embeddings.arrow']);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
