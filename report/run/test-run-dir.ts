/**
 * Test helpers: a small but real demo run directory (Arrow embeddings and targets, a metrics log,
 * a comparison report, an inspect summary and run.json), and a plain training run directory
 * (model.json, weights.bin, training.json, metrics.jsonl) with embeddings and targets beside it,
 * for the report tests.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { ID_COLUMN_METADATA_KEY } from '../../data/keyed-table.js';
import { Rng } from '../../data/random.js';
import { appendEpochMetrics, EPOCH_METRICS_FILE, type EpochMetrics } from '../../training/epoch-metrics.js';
import type { RunInfoInput } from './run-layout.js';

/** Writes the fixture run into `dir` and returns the run.json it wrote. */
export async function writeTestRunDir(dir: string, clients = 120): Promise<RunInfoInput> {
  await mkdir(join(dir, 'train'), { recursive: true });
  await mkdir(join(dir, 'compare'), { recursive: true });
  const width = await writeFixtureArrows(dir, clients);
  for (const m of FIXTURE_METRICS) await appendEpochMetrics(join(dir, 'train', EPOCH_METRICS_FILE), m);
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

const FIXTURE_METRICS: readonly EpochMetrics[] = [
  { epoch: 1, loss: 0.9123, recallAt4: 0.2345, learningRate: 0.002, batches: 9, events: 177195, seconds: 4.297, eventsPerSecond: 41234 },
  { epoch: 2, loss: 0.6789, recallAt4: 0.4567, learningRate: 0.002, batches: 9, events: 178133, seconds: 4.122, eventsPerSecond: 43210 },
];

/**
 * Writes `dir/data/targets.arrow` (client_id, age_group, gender) and `dir/embeddings/meles.arrow`
 * and `random.arrow` (one more client than the targets, unlabelled); returns the embedding width.
 * With `recordId`, the embedding files record their id column as `meles embed` does.
 */
async function writeFixtureArrows(dir: string, clients: number, recordId = false): Promise<number> {
  await mkdir(join(dir, 'data'), { recursive: true });
  await mkdir(join(dir, 'embeddings'), { recursive: true });
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
  for (const [file, columns] of [['meles', trained], ['random', random]] as const) {
    const table = tableFromColumns({ client_id: embIds, ...columns });
    if (recordId) table.schema.metadata.set(ID_COLUMN_METADATA_KEY, 'client_id');
    await writeArrowTable(join(dir, `embeddings/${file}.arrow`), table);
  }
  return width;
}

/** Paths of the fixture written by {@link writeTestTrainingRun}. */
export interface TestTrainingRun {
  /** The training run directory (no run.json). */
  readonly run: string;
  /** Embeddings recording their id column: `meles.arrow` clusters by age group, `random.arrow` does not. */
  readonly embeddings: readonly [string, string];
  /** Targets with `client_id`, `age_group` and `gender`. */
  readonly targets: string;
}

/**
 * Writes a training run directory as `meles train --out` leaves it (model.json with a two-array
 * weights manifest of 32 parameters, a 128-byte weights.bin, training.json, two epochs of
 * metrics.jsonl) into `dir/run`, and its embeddings and targets beside it.
 */
export async function writeTestTrainingRun(dir: string, clients = 120): Promise<TestTrainingRun> {
  const run = join(dir, 'run');
  await mkdir(run, { recursive: true });
  const width = await writeFixtureArrows(dir, clients, true);
  for (const m of FIXTURE_METRICS) await appendEpochMetrics(join(run, EPOCH_METRICS_FILE), m);
  await writeFile(join(run, 'weights.bin'), new Uint8Array(128));
  await writeFile(join(run, 'training.json'), JSON.stringify({ method: 'meles', epochs: 2, encoder: { encoder: 'gru', hidden: 8 } }));
  await writeFile(join(run, 'model.json'), JSON.stringify({
    formatVersion: 1,
    encoder: {
      event: { categorical: [], numeric: ['amount'], embeddingNoise: 0, batchNorm: false, projection: 0 },
      sequence: { kind: 'gru', hidden: width, layers: 1, bidirectional: false, learnableInitialState: true },
    },
    embeddingWidth: width,
    backend: 'cpu',
    weights: [{ name: 'gru/kernel', shape: [3, width], offset: 0 }, { name: 'gru/bias', shape: [width], offset: 96 }],
    checksums: {},
  }));
  return { run, embeddings: [join(dir, 'embeddings/meles.arrow'), join(dir, 'embeddings/random.arrow')], targets: join(dir, 'data/targets.arrow') };
}
