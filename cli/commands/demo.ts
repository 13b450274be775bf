/**
 * `meles demo`: the whole MeLES story on synthetic data in one command, with no Redis:
 * generate → the in-process pipeline (ingest → train → embed → hand-crafted features) → an
 * untrained encoder of the same architecture as a control → A/B comparison of four feature sets
 * with LightGBM → `report.html`. Every number in the report is read back from the run directory,
 * so `meles report RUN_DIR` rebuilds the same page.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { generateTransactions } from '../../data/synthetic/generate-transactions.js';
import { writeAtomically } from '../../data/atomic-write.js';
import { inspectFile } from '../../data/inspect-file.js';
import { readSchemaMapping } from '../../data/schema-mapping-io.js';
import { buildReport } from '../../report/run/build-report.js';
import type { RunInfoInput } from '../../report/run/run-layout.js';
import { RUN_INFO_FILE } from '../../report/run/run-layout.js';
import { stepProgress, type StepProgress } from '../step-progress.js';
import { compareFeatureSets } from '../../downstream/evaluation/compare.js';
import { writeCompareReport } from '../../report/comparison-files.js';
import { initBackend } from '../../encoders/backend.js';
import { SequenceModel } from '../../encoders/sequence-model.js';
import { expectInteger } from '../../options.js';
import { runPipelineLocally } from '../../pipeline/local-runner.js';
import { readPipelineFile } from '../../pipeline/pipeline-config.js';
import { stepLabel } from '../../pipeline/steps.js';
import { embedFile } from '../../training/embed-file.js';
import { loadModelDirectory, saveModelDirectory } from '../../training/model-files.js';
import { integerFlag } from './report.js';

/** The demo's size and seeds. Defaults were chosen by timing whole demos on the 2-core machine (README). */
export interface DemoOptions {
  /** Run directory. @defaultValue `'runs/demo'` */
  readonly out: string;
  /** Synthetic clients. Minimum `200`. @defaultValue `2000` */
  readonly clients: number;
  /** Training epochs. Minimum `1`. @defaultValue `30` (the loss and recall@4 still improve at 10; 30 takes about 2.5 min of the demo on 2 idle cores) */
  readonly epochs: number;
  /** GRU hidden size (= embedding width). Minimum `4`. @defaultValue `64` */
  readonly hidden: number;
  /** Seed of data, training, folds and pictures. @defaultValue `42` */
  readonly seed: number;
  /** LightGBM trees per model in the comparison. Minimum `10`. @defaultValue `100` */
  readonly trees: number;
  /** Most clients per embedding picture. @defaultValue `700` */
  readonly sample: number;
}

/** The defaults of {@link DemoOptions}. */
export const DEMO_DEFAULTS: DemoOptions = { out: 'runs/demo', clients: 2000, epochs: 30, hidden: 64, seed: 42, trees: 100, sample: 700 };

/** The flags as commander hands them over (numbers still as text). */
interface DemoFlags {
  readonly out: string;
  readonly clients: string;
  readonly epochs: string;
  readonly hidden: string;
  readonly trees: string;
  readonly sample: string;
  readonly seed: string;
  readonly quiet?: boolean;
  readonly json?: boolean;
}

/** LightGBM learning rate of the demo's comparison (see the comment where it is used). */
const DEMO_LEARNING_RATE = 0.1;

const TARGETS = [
  { column: 'age_group', kind: 'multiclass' },
  { column: 'gender', kind: 'binary' },
] as const;

/** Registers `meles demo`. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('generate → train → embed → features → compare → report, in this process (no Redis)')
    .addOption(new Option('--out <dir>', 'run directory').default(DEMO_DEFAULTS.out))
    .addOption(new Option('--clients <n>', 'synthetic clients').default(String(DEMO_DEFAULTS.clients)))
    .addOption(new Option('--epochs <n>', 'training epochs').default(String(DEMO_DEFAULTS.epochs)))
    .addOption(new Option('--hidden <n>', 'GRU hidden size (embedding width)').default(String(DEMO_DEFAULTS.hidden)))
    .addOption(new Option('--trees <n>', 'LightGBM trees per model').default(String(DEMO_DEFAULTS.trees)))
    .addOption(new Option('--sample <n>', 'most clients per embedding picture').default(String(DEMO_DEFAULTS.sample)))
    .addOption(new Option('--seed <n>', 'seed of everything').default(String(DEMO_DEFAULTS.seed)))
    .option('--quiet', 'no progress output')
    .option('--json', 'print the A/B table, timings and file paths as JSON on stdout')
    .action(async (flags: DemoFlags) => {
      const options = resolveDemoOptions({
        out: flags.out,
        clients: integerFlag('--clients', flags.clients),
        epochs: integerFlag('--epochs', flags.epochs),
        hidden: integerFlag('--hidden', flags.hidden),
        trees: integerFlag('--trees', flags.trees),
        sample: integerFlag('--sample', flags.sample),
        seed: integerFlag('--seed', flags.seed),
      });
      const json = flags.json === true;
      const progress = stepProgress({ quiet: flags.quiet === true || json });
      try {
        const result = await runDemo(options, progress);
        progress.stop();
        if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else if (flags.quiet !== true) process.stdout.write(closingNote(result));
      } finally {
        progress.stop();
      }
    });
}

/** Validates demo options (the CLI boundary). */
export function resolveDemoOptions(partial: Partial<DemoOptions>): DemoOptions {
  const o = { ...DEMO_DEFAULTS, ...partial };
  expectInteger('clients', o.clients, 200);
  expectInteger('epochs', o.epochs, 1);
  expectInteger('hidden', o.hidden, 4);
  expectInteger('trees', o.trees, 10);
  expectInteger('sample', o.sample, 10);
  expectInteger('seed', o.seed, 0, 2 ** 32 - 2);
  return o;
}

/** What the demo did, for `--json` and the closing note. */
export interface DemoResult {
  readonly runDir: string;
  readonly report: string;
  readonly seconds: number;
  readonly table: readonly { readonly set: string; readonly target: string; readonly metric: string; readonly mean: number; readonly halfWidth: number }[];
  readonly timings: readonly { readonly step: string; readonly seconds: number }[];
}

/** Runs the demo into `options.out`; see the module comment. */
export async function runDemo(options: DemoOptions, progress: StepProgress): Promise<DemoResult> {
  const started = performance.now();
  const runDir = resolve(options.out);
  await mkdir(runDir, { recursive: true });
  const timings: { step: string; seconds: number }[] = [];
  const steps = ['generate', 'data summary', 'ingest', 'train', 'embed-shard 1/1', 'embed', 'features', 'random encoder', 'compare', 'report'];
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    progress.step(step, steps.indexOf(step), steps.length);
    const t0 = performance.now();
    const value = await work();
    timings.push({ step, seconds: (performance.now() - t0) / 1000 });
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
  const done = await runPipelineLocally(config, {
    onEvent: (event) => {
      const label = stepLabel(event.step);
      if (event.kind === 'start') progress.step(label, Math.max(0, steps.indexOf(label)), steps.length);
      else if (event.kind === 'progress' && event.progress.message) progress.note(event.progress.message);
    },
  });
  for (const { step, outcome } of done) {
    timings.push({ step: `${stepLabel(step)}${outcome.skipped ? ' (up to date, reused)' : ''}`, seconds: outcome.durationMs / 1000 });
  }
  const modelDir = join(config.out, 'train', 'model');
  const melesEmbeddings = join(config.out, 'embed', 'part-00000.arrow');
  const features = join(config.out, 'features', 'features.arrow');

  const control = await timed('random encoder', () => embedWithRandomEncoder(modelDir, data.transactionsPath, join(runDir, 'random'), options.seed + 1));

  const comparison = await timed('compare', async () => {
    const result = await compareFeatureSets({
      targetsPath: data.targetsPath,
      idColumn: 'client_id',
      targets: TARGETS,
      featureSets: [
        { name: 'hand-crafted', paths: [features] },
        { name: 'MeLES', paths: [melesEmbeddings] },
        { name: 'hand-crafted + MeLES', paths: [features, melesEmbeddings] },
        { name: 'random encoder', paths: [control.embeddings] },
      ],
      baseline: 'random encoder',
      seed: options.seed,
      numIterations: options.trees,
      // The reference's 0.02 is tuned for 500–1000 trees; with the demo's ~100 a larger step
      // keeps the boosters from underfitting. Every feature set gets the same parameters.
      params: { multiclass: { learningRate: DEMO_LEARNING_RATE }, binary: { learningRate: DEMO_LEARNING_RATE } },
      onProgress: (message) => progress.note(message),
    });
    await writeCompareReport(result, join(runDir, 'compare'));
    return result;
  });

  const model = await loadModelDirectory(modelDir);
  const parameters = model.model.parameters().reduce((n, p) => n + p.variable.size, 0);
  model.model.dispose();
  const run: RunInfoInput = {
    formatVersion: 1,
    title: `meles demo: ${options.clients} synthetic clients`,
    createdAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
    backend: control.backend,
    model: { encoder: `GRU, hidden ${options.hidden}`, parameters, bytes: (await stat(join(modelDir, 'weights.bin'))).size, embeddingSize: control.width },
    timings,
    config: { command: 'meles demo', ...options, pipeline: pipelineJson(options), generated: { clients: data.clients, events: data.events } },
    files: {
      comparison: 'compare/report.json',
      metrics: 'pipeline/train/model/metrics.jsonl',
      inspect: 'inspect.json',
      targets: 'data/targets.arrow',
      embeddings: [
        { name: 'MeLES', path: 'pipeline/embed/part-00000.arrow' },
        { name: 'random encoder', path: 'random/embeddings.arrow' },
      ],
    },
  };
  await writeFile(join(runDir, RUN_INFO_FILE), `${JSON.stringify(run, null, 2)}\n`);
  const built = await timed('report', () => buildReport(runDir, { sample: options.sample, seed: options.seed, onStep: (name) => progress.note(name) }));
  const table = comparison.results.map((r) => {
    const primary = r.metrics[0]!;
    return { set: r.set, target: r.target, metric: primary.metric, mean: primary.test.mean, halfWidth: primary.test.halfWidth };
  });
  return { runDir, report: built.html, seconds: (performance.now() - started) / 1000, table, timings: [...timings, ...built.timings] };
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
    embed: { shards: 1 },
  };
}

/**
 * The control row: an encoder with the trained model's exact architecture and vocabularies but
 * freshly initialised weights, embedding the same clients. What MeLES adds is the difference.
 */
async function embedWithRandomEncoder(trainedDir: string, data: string, outDir: string, seed: number): Promise<{ embeddings: string; backend: string; width: number }> {
  const backend = await initBackend('auto');
  const trained = await loadModelDirectory(trainedDir);
  const untrained = new SequenceModel(trained.model.config, seed);
  trained.model.dispose();
  const modelDir = join(outDir, 'model');
  try {
    await rm(modelDir, { recursive: true, force: true });
    await saveModelDirectory(modelDir, {
      model: untrained,
      vocabularies: trained.vocabularies,
      schema: trained.schema,
      training: { untrained: true, seed, architectureFrom: trainedDir },
      backend,
    });
  } finally {
    untrained.dispose();
  }
  const embeddings = join(outDir, 'embeddings.arrow');
  const result = await embedFile({ model: modelDir, data, out: embeddings });
  return { embeddings, backend: result.backend, width: result.width };
}

function closingNote(result: DemoResult): string {
  const lines = result.table.map((r) => `  ${r.set.padEnd(22)} ${r.target} ${r.metric}: ${r.mean.toFixed(3)} ± ${r.halfWidth.toFixed(3)}`);
  return `meles demo finished in ${result.seconds.toFixed(0)} s\n${lines.join('\n')}\nreport: ${result.report}\n`;
}
