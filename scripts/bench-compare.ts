/**
 * Times the evaluation protocol (`evaluateFeatureSets`, what `meles compare` and the demo's
 * compare step run) with the LightGBM fits one after another and on worker threads, on feature
 * tables of the demo's shape, and checks that both give the same scores (issue 16).
 *
 * Usage: `npx tsx scripts/bench-compare.ts [--clients 2000] [--cols 748] [--trees 100] [--parallel 1,2]`
 * (748 columns: the demo's hand-crafted + MeLES set). Data is synthetic and written to a temp dir.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromColumns, writeArrowTable } from '../data/arrow-sink.js';
import { Rng } from '../data/random.js';
import { evaluateFeatureSets } from '../downstream/evaluation/evaluate.js';
import type { EvaluationResult } from '../downstream/evaluation/evaluate-types.js';
import { flagReader } from './reference-step.js';

const flag = flagReader(process.argv.slice(2));
const clients = Number(flag('clients', '2000'));
const cols = Number(flag('cols', '748'));
const trees = Number(flag('trees', '100'));
const parallel = flag('parallel', '1,2').split(',').map(Number);

const dir = await mkdtemp(join(tmpdir(), 'meles-bench-compare-'));
try {
  // Signal in a few columns, noise elsewhere; four age groups and a binary target like the demo's.
  const rng = new Rng(5);
  const columns: Record<string, Float32Array | Int32Array> = { client_id: Int32Array.from({ length: clients }, (_, i) => i) };
  for (let j = 0; j < cols; j++) columns[`f${j}`] = Float32Array.from({ length: clients }, () => rng.normal());
  const lines = ['client_id,age_group,gender'];
  for (let i = 0; i < clients; i++) {
    const a = (columns.f0![i]! + columns.f1![i]!) + rng.normal();
    const age = a < -1 ? 0 : a < 0 ? 1 : a < 1 ? 2 : 3;
    const gender = columns.f2![i]! + rng.normal() > 0 ? 1 : 0;
    lines.push(`${i},${age},${gender}`);
  }
  await writeFile(join(dir, 'targets.csv'), lines.join('\n'));
  await writeArrowTable(join(dir, 'features.arrow'), tableFromColumns(columns));
  console.log(`# bench-compare: ${clients} clients × ${cols} features, 2 targets (4 classes, binary), 5 folds, ${trees} trees at learning rate 0.1; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('| parallel fits | wall s | fit s (summed) | same scores as the first row |');
  console.log('|---|---|---|---|');
  let first: EvaluationResult | undefined;
  for (const parallelFits of parallel) {
    const started = performance.now();
    const result = await evaluateFeatureSets({
      targetsPath: join(dir, 'targets.csv'), idColumn: 'client_id',
      targets: [{ column: 'age_group', kind: 'multiclass' }, { column: 'gender', kind: 'binary' }],
      featureSets: [{ name: 'all', paths: [join(dir, 'features.arrow')] }],
      numIterations: trees, params: { multiclass: { learningRate: 0.1 }, binary: { learningRate: 0.1 } }, parallelFits,
    });
    const wall = (performance.now() - started) / 1000;
    const scores = JSON.stringify(result.results.map((r) => r.metrics));
    first ??= result;
    const same = scores === JSON.stringify(first.results.map((r) => r.metrics));
    console.log(`| ${parallelFits} | ${wall.toFixed(1)} | ${result.results.reduce((s, r) => s + r.seconds, 0).toFixed(1)} | ${same ? 'yes' : '**no**'} |`);
  }
  console.log(`# load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
