/**
 * The demo workflow (`meles demo`): the whole MeLES story on synthetic data in one process, with
 * no Redis: generate → the in-process pipeline (ingest → hand-crafted features → train → embed) →
 * an untrained encoder of the same architecture as a control → A/B comparison of four feature sets
 * with LightGBM → `report.html`. The hand-crafted set's LightGBM fits start as soon as its
 * features exist, on low-priority threads, while the encoder trains; the comparison later takes
 * those fits from the same memoizing pool, so its table is the one a sequential run gives. The
 * report's projections run while LightGBM compares. Every number in the report is read back from
 * the run directory, so `meles report RUN_DIR` rebuilds the same page. Stage folders and step names come from the
 * pipeline itself (`stageDir`, `planPipeline`, `stepLabel`), so the demo follows when they change.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { writeAtomically } from '../data/atomic-write.js';
import { inspectFile } from '../data/inspect-file.js';
import { readSchemaMapping } from '../data/schema-mapping-io.js';
import { generateTransactions } from '../data/synthetic/generate-transactions.js';
import { compareFeatureSets } from '../downstream/evaluation/compare.js';
import { evaluateFeatureSets } from '../downstream/evaluation/evaluate.js';
import type { EvaluateOptions } from '../downstream/evaluation/evaluate-types.js';
import { defaultParallelFits, FoldFitPool } from '../downstream/evaluation/fold-fit-pool.js';
import { writeCompareReport } from '../report/comparison-files.js';
import { buildReport, DEFAULT_TSNE_STEPS, pictureSources } from '../report/run/build-report.js';
import { ProjectionPrefetch } from '../report/run/projection-prefetch.js';
import { RUN_INFO_FILE, runInfoSchema, type RunInfoInput } from '../report/run/run-layout.js';
import { loadModelDirectory } from '../training/model-files.js';
import type { DemoHooks, DemoOptions, DemoResult } from './demo-options.js';
import { embedWithRandomEncoder } from './demo-random-encoder.js';
import { runPipelineLocally } from './local-runner.js';
import { readPipelineFile } from './pipeline-config.js';
import { stageDir } from './stage.js';
import { partFileName } from './stages/embed-stages.js';
import { FEATURES_FILE } from './stages/features-stage.js';
import { MODEL_SUBDIR } from './stages/train-stage.js';
import { planPipeline, stepLabel } from './steps.js';
import { resolveThreads, THREADS_ENV } from '../training/parallel/threads.js';

/** LightGBM learning rate of the demo's comparison (see the comment where it is used). */
const DEMO_LEARNING_RATE = 0.1;

/** One embed shard: the demo's data is small, and one part file is what the report reads. */
const DEMO_SHARDS = 1;

const TARGETS = [
  { column: 'age_group', kind: 'multiclass' },
  { column: 'gender', kind: 'binary' },
] as const;

/**
 * Nice value of the demo's LightGBM threads. The hand-crafted fits run while the encoder trains:
 * at 19 they take only the CPU time the training threads leave idle (the loss and miner run on
 * one thread while the other waits), so training keeps its speed (measured: 48.4 s with and
 * without them, docs/PERFORMANCE.md "Session 5"). During the comparison the report's projections,
 * at normal priority, go first, and the fits take the rest.
 */
const FIT_PRIORITY = 19;

/** Runs the demo into `options.out` (validated with `resolveDemoOptions`); see the module comment. */
export async function runDemo(options: DemoOptions, hooks: DemoHooks = {}): Promise<DemoResult> {
  const started = performance.now();
  const threads = resolveThreads(options.threads);
  const runDir = resolve(options.out);
  await mkdir(runDir, { recursive: true });
  const timings: { step: string; seconds: number }[] = [];
  // The demo's pipeline has no targets, so its plan ends with features (the demo compares itself).
  const pipelineSteps = planPipeline({ embed: { shards: DEMO_SHARDS } }).map(stepLabel);
  const steps = ['generate', 'data summary', ...pipelineSteps, 'random encoder', 'compare', 'report'];
  const step = (name: string): void => hooks.onProgress?.({ kind: 'step', name, index: Math.max(0, steps.indexOf(name)), total: steps.length });
  const note = (message: string): void => hooks.onProgress?.({ kind: 'note', message });
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    step(name);
    const t0 = performance.now();
    const value = await work();
    timings.push({ step: name, seconds: (performance.now() - t0) / 1000 });
    return value;
  };

  const data = await timed('generate', () => generateTransactions({ out: join(runDir, 'data'), clients: options.clients, seed: options.seed }));
  await timed('data summary', async () => {
    // The same JSON `meles inspect --json` prints.
    const summary = await inspectFile(data.transactionsPath, await readSchemaMapping(data.schemaPath));
    await writeAtomically(join(runDir, 'inspect.json'), (tmp) => writeFile(tmp, `${JSON.stringify(summary, null, 2)}\n`));
  });

  // The pipeline file stays in the run directory: `meles pipeline run RUN_DIR/pipeline.json` repeats this part.
  const pipelineFile = join(runDir, 'pipeline.json');
  await writeFile(pipelineFile, `${JSON.stringify(pipelineJson(options), null, 2)}\n`);
  const config = await readPipelineFile(pipelineFile);
  // Threads are a property of the process running a stage, not of the pipeline file (a BullMQ
  // worker sets MELES_THREADS for its machine), so the in-process pipeline gets them the same way.
  const previousThreads = process.env[THREADS_ENV];
  process.env[THREADS_ENV] = String(threads);
  const features = join(stageDir(config.out, 'features'), FEATURES_FILE);
  // One pool for every fit of the demo (see FIT_PRIORITY); memoizing, so the comparison reuses the
  // hand-crafted fits made during training instead of repeating them.
  const pool = new FoldFitPool(defaultParallelFits(1), { priority: FIT_PRIORITY, memoize: true });
  const protocol = {
    targetsPath: data.targetsPath,
    idColumn: 'client_id',
    targets: TARGETS,
    seed: options.seed,
    numIterations: options.trees,
    // The reference's 0.02 is tuned for 500–1000 trees; with the demo's ~100 a larger step
    // keeps the boosters from underfitting. Every feature set gets the same parameters.
    // One LightGBM thread per fit: at the demo's size a second OpenMP thread costs more than it
    // saves (`npx tsx scripts/bench-lightgbm.ts 1800 150 100` on 2 idle cores: 1 thread
    // 1.21–1.25 s, 2 threads 1.65–1.80 s per fit); both cores work by running two fits at once
    // (the evaluation's FoldFitPool), and the trees depend on neither.
    params: { multiclass: { learningRate: DEMO_LEARNING_RATE, numThreads: 1 }, binary: { learningRate: DEMO_LEARNING_RATE, numThreads: 1 } },
    pool,
  } satisfies Omit<EvaluateOptions, 'featureSets'>;
  let early: Promise<unknown> | undefined;
  const modelDir = join(stageDir(config.out, 'train'), MODEL_SUBDIR);
  const melesEmbeddings = join(stageDir(config.out, 'embed'), partFileName(0));
  let control: Awaited<ReturnType<typeof embedWithRandomEncoder>>;
  let comparison: Awaited<ReturnType<typeof compareFeatureSets>>;
  let run: RunInfoInput;
  let prefetch: ProjectionPrefetch | undefined;
  const pictureOptions = { sample: options.sample, seed: options.seed, tsneSteps: DEFAULT_TSNE_STEPS };
  try {
    let done: Awaited<ReturnType<typeof runPipelineLocally>>;
    try {
      done = await runPipelineLocally(config, {
        onEvent: (event) => {
          if (event.kind === 'start') step(stepLabel(event.step));
          else if (event.kind === 'progress' && event.progress.message) note(event.progress.message);
          else if (event.kind === 'done' && event.step.kind === 'features') {
            // Its result is not used: the comparison below asks the pool for the same fits. An
            // error here (it would recur there, where it is reported) must not go unhandled.
            early = evaluateFeatureSets({ ...protocol, featureSets: [{ name: 'hand-crafted', paths: [features] }] }).catch(() => undefined);
          }
        },
      });
    } finally {
      if (previousThreads === undefined) delete process.env[THREADS_ENV];
      else process.env[THREADS_ENV] = previousThreads;
    }
    for (const { step: s, outcome } of done) {
      timings.push({ step: `${stepLabel(s)}${outcome.skipped ? ' (up to date, reused)' : ''}`, seconds: outcome.durationMs / 1000 });
    }

    control = await timed('random encoder', () => embedWithRandomEncoder(modelDir, data.transactionsPath, join(runDir, 'random'), options.seed + 1));
    run = await demoRunInfo({ options, threads, started, timings, data, modelDir, melesEmbeddings, control, runDir });
    // Both embedding files exist: their report pictures are projected on worker threads while
    // LightGBM compares (its fits run at FIT_PRIORITY), and the report takes them from here.
    prefetch = await ProjectionPrefetch.start(pictureSources(runDir, runInfoSchema.parse(run)), pictureOptions);

    comparison = await timed('compare', async () => {
      const result = await compareFeatureSets({
        ...protocol,
        featureSets: [
          { name: 'hand-crafted', paths: [features] },
          { name: 'MeLES', paths: [melesEmbeddings] },
          { name: 'hand-crafted + MeLES', paths: [features, melesEmbeddings] },
          { name: 'random encoder', paths: [control.embeddings] },
        ],
        baseline: 'random encoder',
        onProgress: note,
      });
      await writeCompareReport(result, join(runDir, 'compare'));
      return result;
    });
  } finally {
    // After a failure, closing first drops the early fits still queued instead of waiting for them.
    await pool.close();
    await early;
    await prefetch?.settled();
  }

  await writeFile(join(runDir, RUN_INFO_FILE), `${JSON.stringify(run, null, 2)}\n`);
  const built = await timed('report', () => buildReport(runDir, { ...pictureOptions, prefetch, onStep: note }));
  const table = comparison.results.map((r) => {
    const primary = r.metrics[0]!;
    return { set: r.set, target: r.target, metric: primary.metric, mean: primary.test.mean, halfWidth: primary.test.halfWidth };
  });
  return {
    runDir, report: built.html, seconds: (performance.now() - started) / 1000, table, timings: [...timings, ...built.timings],
    fitsMadeDuringTraining: pool.memoHits,
  };
}

/** What {@link demoRunInfo} describes. */
interface DemoRunParts {
  readonly options: DemoOptions;
  readonly threads: number;
  /** `performance.now()` when the demo started. */
  readonly started: number;
  /** The demo's step timings (the same array, so steps timed later are written too). */
  readonly timings: readonly { step: string; seconds: number }[];
  readonly data: Awaited<ReturnType<typeof generateTransactions>>;
  readonly modelDir: string;
  readonly melesEmbeddings: string;
  readonly control: Awaited<ReturnType<typeof embedWithRandomEncoder>>;
  readonly runDir: string;
}

/** The demo's run.json (`meles report RUN_DIR` rebuilds the page from it). */
async function demoRunInfo(p: DemoRunParts): Promise<RunInfoInput> {
  const model = await loadModelDirectory(p.modelDir);
  const parameters = model.model.parameters().reduce((n, q) => n + q.variable.size, 0);
  model.model.dispose();
  const inRun = (path: string): string => relative(p.runDir, path);
  return {
    formatVersion: 1,
    title: `meles demo: ${p.options.clients} synthetic clients`,
    createdAt: new Date(Date.now() - (performance.now() - p.started)).toISOString(),
    backend: p.control.backend,
    model: { encoder: `GRU, hidden ${p.options.hidden}`, parameters, bytes: (await stat(join(p.modelDir, 'weights.bin'))).size, embeddingSize: p.control.width },
    timings: p.timings as { step: string; seconds: number }[],
    config: { command: 'meles demo', ...p.options, threads: p.threads, pipeline: pipelineJson(p.options), generated: { clients: p.data.clients, events: p.data.events } },
    files: {
      comparison: 'compare/report.json',
      metrics: inRun(join(p.modelDir, 'metrics.jsonl')),
      inspect: 'inspect.json',
      targets: inRun(p.data.targetsPath),
      embeddings: [
        { name: 'MeLES', path: inRun(p.melesEmbeddings) },
        { name: 'random encoder', path: inRun(p.control.embeddings) },
      ],
    },
  };
}

/** The pipeline file the demo runs: no targets, so the pipeline stops after features and the demo compares four sets itself. */
function pipelineJson(options: DemoOptions): Record<string, unknown> {
  return {
    name: 'demo',
    data: 'data/transactions.arrow',
    schema: 'data/schema.json',
    out: 'pipeline',
    // Shorter views than the ptls default (25–200 events) make an epoch ~2× cheaper; the
    // synthetic sequences are only 100–300 events long, so 25–100 still covers their structure.
    train: {
      epochs: options.epochs,
      seed: options.seed,
      encoder: { hidden: options.hidden },
      splitter: { kind: 'slices', splitCount: 5, cntMin: 25, cntMax: 100 },
    },
    embed: { shards: DEMO_SHARDS },
  };
}
