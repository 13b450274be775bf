/**
 * Test helper: writes a small but real run directory (Arrow embeddings and targets, a metrics
 * log, a comparison report, an inspect summary and run.json) for the report tests.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { Rng } from '../../data/random.js';
import { appendEpochMetrics, EPOCH_METRICS_FILE, type EpochMetrics } from '../../training/epoch-metrics.js';
import type { RunInfoInput } from './run-layout.js';

/** Writes the fixture run into `dir` and returns the run.json it wrote. */
export async function writeTestRunDir(dir: string, clients = 120): Promise<RunInfoInput> {
  await mkdir(join(dir, 'data'), { recursive: true });
  await mkdir(join(dir, 'embeddings'), { recursive: true });
  await mkdir(join(dir, 'train'), { recursive: true });
  await mkdir(join(dir, 'compare'), { recursive: true });
  const rng = new Rng(11);
  const ids = Int32Array.from({ length: clients }, (_, i) => 1000 + i);
  const age = Int32Array.from(ids, (_, i) => i % 4);
  const gender = Int32Array.from(ids, (_, i) => (i >> 2) % 2);
  await writeArrowTable(join(dir, 'data/targets.arrow'), tableFromColumns({ client_id: ids, age_group: age, gender }));
  // Trained embeddings cluster by age group; random ones do not. One extra unlabelled client.
  const width = 8;
  const trained: Record<string, Float32Array> = {};
  const random: Record<string, Float32Array> = {};
  for (let d = 0; d < width; d++) {
    trained[`emb_${d}`] = Float32Array.from({ length: clients + 1 }, (_, i) => (d === i % 4 ? 5 : 0) + rng.normal());
    random[`emb_${d}`] = Float32Array.from({ length: clients + 1 }, () => rng.normal());
  }
  const embIds = Int32Array.from({ length: clients + 1 }, (_, i) => 1000 + i);
  await writeArrowTable(join(dir, 'embeddings/meles.arrow'), tableFromColumns({ client_id: embIds, ...trained }));
  await writeArrowTable(join(dir, 'embeddings/random.arrow'), tableFromColumns({ client_id: embIds, ...random }));
  const metrics: EpochMetrics[] = [
    { epoch: 1, loss: 0.9123, recallAt4: 0.2345, learningRate: 0.002, batches: 9, events: 177195, seconds: 4.297, eventsPerSecond: 41234 },
    { epoch: 2, loss: 0.6789, recallAt4: 0.4567, learningRate: 0.002, batches: 9, events: 178133, seconds: 4.122, eventsPerSecond: 43210 },
  ];
  for (const m of metrics) await appendEpochMetrics(join(dir, 'train', EPOCH_METRICS_FILE), m);
  // The shape of `EvaluationResult` (downstream/evaluation/evaluate-types.ts); test scores are deliberately
  // different from the fold scores so the tests can tell which part the report shows.
  const cell = (set: string, target: string, metric: string, mean: number, halfWidth: number) => ({
    set, target, kind: metric === 'accuracy' ? 'multiclass' : 'binary', features: 8, seconds: 1,
    metrics: [
      {
        metric,
        foldScores: [mean, mean, mean, mean, mean],
        testScores: [0.1, 0.1, 0.1, 0.1, 0.1],
        valid: { mean, std: halfWidth / 1.24, halfWidth },
        test: { mean: 0.1, std: 0, halfWidth: 0 },
      },
      // A second metric after the primary one: the table shows only the primary.
      { metric: metric === 'accuracy' ? 'auroc' : 'accuracy', foldScores: [], testScores: [], valid: { mean: 0.999, std: null, halfWidth: null }, test: { mean: 0.999, std: null, halfWidth: null } },
    ],
  });
  await writeFile(join(dir, 'compare/report.json'), JSON.stringify({
    protocol: { folds: 5, testFraction: 0.1, seed: 42, numIterations: { multiclass: 50, binary: 50 } },
    splits: [],
    results: [
      cell('hand-crafted', 'age_group', 'accuracy', 0.4321, 0.0111),
      cell('MeLES', 'age_group', 'accuracy', 0.5432, 0.0222),
      cell('random encoder', 'age_group', 'accuracy', 0.2987, 0.0133),
      cell('hand-crafted', 'gender', 'auroc', 0.7001, 0.0101),
      cell('MeLES', 'gender', 'auroc', 0.7702, 0.0099),
      cell('random encoder', 'gender', 'auroc', 0.5103, 0.0205),
    ],
    comparisons: [
      { set: 'MeLES', baseline: 'random encoder', target: 'age_group', metric: 'accuracy', part: 'valid', test: { meanDiff: 0.2451, t: 9, df: 4, pValue: 0.00084 } },
      { set: 'MeLES', baseline: 'random encoder', target: 'age_group', metric: 'accuracy', part: 'test', test: { meanDiff: 0.0101, t: 1, df: 4, pValue: 0.5 } },
    ],
    warnings: ['3 ids of targets.arrow have no features in meles.arrow'],
  }));
  await writeFile(join(dir, 'inspect.json'), JSON.stringify({
    rows: 98765,
    clients,
    lengthQuantiles: { p50: 321, p90: 654 },
    columns: [{ name: 'client_id', type: 'Int32', nulls: 0 }, { name: 'mcc', type: 'Utf8', nulls: 7 }],
    top: [['a', 10], ['b', 4]],
  }));
  const run: RunInfoInput = {
    formatVersion: 1,
    title: 'Fixture run',
    backend: 'wasm',
    model: { encoder: 'gru', parameters: 23456, bytes: 98304, embeddingSize: width },
    timings: [{ step: 'generate', seconds: 1.5 }, { step: 'train', seconds: 77.25 }],
    config: { clients, epochs: 2, hidden: 32 },
    files: {
      embeddings: [
        { name: 'MeLES', path: 'embeddings/meles.arrow' },
        { name: 'random encoder', path: 'embeddings/random.arrow' },
      ],
    },
  };
  await writeFile(join(dir, 'run.json'), JSON.stringify(run, null, 2));
  return run;
}
