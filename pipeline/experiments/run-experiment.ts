/**
 * The `meles experiment NAME` workflow: resolve the data (generate once, or the user's) → train
 * every distinct MeLES/CPC variant of the experiment as a cached in-process pipeline (`variants/<hash>`)
 * → the shared hand-crafted features and the random encoder when a row needs them → the
 * sequence-model rows (supervised, fine-tuned; cached in `models/<hash>`, model-rows.ts) → one
 * LightGBM comparison of all rows with the evaluation protocol, the model rows included on the same
 * split plan (t-tests against the default row) — once per labelled fraction for `label-fraction` →
 * `DIR/NAME.json`, `NAME.md`, `NAME.html` in the lecture's table layout, and `DIR/RESULTS.md` with every
 * table of DIR. Seeds come from the scale,
 * so the same command gives the same table; a re-run retrains nothing that finished.
 */
import { join, resolve } from 'node:path';
import { ConfigError } from '../../errors.js';
import { compareFeatureSets, type CompareResult } from '../../downstream/evaluation/compare.js';
import type { FeatureSetSpec } from '../../downstream/evaluation/evaluate-types.js';
import { writeExperimentReport, type ExperimentFile } from '../../report/experiment-files.js';
import type { FinetuneOptions } from '../../training/labelled/train-labelled.js';
import type { TrainingConfigInput, TrainingOptions } from '../../training/training-options.js';
import { embedWithRandomEncoder } from '../demo-random-encoder.js';
import { EXPERIMENTS } from './catalogue.js';
import { resolveExperimentData, type ResolvedData } from './experiment-data.js';
import type { ExperimentHooks, ExperimentOptions, ExperimentResult } from './experiment-options.js';
import type { ExperimentDefinition, ExperimentScale, ExperimentVariant, FeatureSource, FeatureVariant, LabelledModel, ModelVariant } from './experiment-types.js';
import { evaluateModelRow, type EvaluatedModelRow } from './model-rows.js';
import { SCALES } from './scales.js';
import { writeResultsIndex } from './results-index.js';
import { handcraftedFeatures, mergeTraining, trainVariant, type TrainedVariant } from './variant-training.js';

/** How one feature source of a row was produced, as `NAME.json` records it. */
export interface SourceRecord {
  readonly kind: FeatureSource['kind'];
  /** Complete training options (MeLES sources). */
  readonly train?: TrainingConfigInput;
  /** Output directory of the training or features. */
  readonly dir: string;
  /** Arrow file LightGBM read. */
  readonly path: string;
  /** True when an earlier run's output was reused. */
  readonly reused: boolean;
  /** Wall time spent now (s). */
  readonly seconds: number;
}

/** The `details` of `NAME.json`. */
export interface ExperimentDetails {
  readonly data: ResolvedData['origin'] & { readonly transactions: string; readonly targets: string };
  readonly scale: ExperimentScale;
  readonly rows: readonly ({ readonly set: string; readonly sources: readonly SourceRecord[] } | { readonly set: string; readonly models: readonly ModelRowRecord[] })[];
}

/** How a sequence-model row was produced at one labelled fraction, as `NAME.json` records it. */
export interface ModelRowRecord {
  /** Labelled fraction of the comparison (1 = every label). */
  readonly fraction: number;
  readonly model: LabelledModel;
  /** `DIR/models/<hash>`: evaluation.json and the fold models. */
  readonly dir: string;
  /** Training options of every fold model. */
  readonly training: TrainingOptions;
  /** Fine-tuning learning rates (fine-tuned rows). */
  readonly finetune?: Partial<FinetuneOptions>;
  /** True when an earlier run's evaluation was reused. */
  readonly reused: boolean;
  /** Wall time spent now (s). */
  readonly seconds: number;
}

/** Runs `options.name` at `options.scale`; see the module comment. */
export async function runExperiment(options: ExperimentOptions, hooks: ExperimentHooks = {}): Promise<ExperimentResult> {
  const definition = EXPERIMENTS[options.name];
  if (definition.unavailable !== undefined) throw new ConfigError(`Experiment \`${options.name}\` is not available yet: ${definition.unavailable}`);
  return runExperimentDefinition(options, definition, hooks);
}

/** Runs any definition (the catalogue's, or a test's own) under `options`. */
export async function runExperimentDefinition(options: ExperimentOptions, definition: ExperimentDefinition, hooks: ExperimentHooks = {}): Promise<ExperimentResult> {
  const started = performance.now();
  const root = resolve(options.out);
  const scale = SCALES[options.scale];
  const variants = definition.variants(scale);
  const baseline = checkVariants(options.name, variants);
  const base = baseTraining(scale);
  const featureRows = variants.filter((v): v is FeatureVariant => v.sources !== undefined);
  const modelRows = variants.filter((v): v is ModelVariant => v.model !== undefined);
  // One comparison per labelled fraction; 1 (every label) is left unrecorded, as `meles compare` does.
  const fractions = definition.byLabelFraction === true ? scale.labelFractions : [1];

  // Distinct trainings in first-use order; the random encoder needs the default one.
  const trainings = new Map<string, TrainingConfigInput>();
  const needs = new Set<FeatureSource['kind']>();
  for (const source of featureRows.flatMap((v) => v.sources)) {
    needs.add(source.kind);
    const train = source.kind === 'trained' ? mergeTraining(base, source.train) : source.kind === 'random-encoder' ? base : undefined;
    if (train !== undefined) trainings.set(JSON.stringify(train), train);
  }
  for (const { model } of modelRows) {
    if (model.kind === 'fine-tuned') {
      const train = mergeTraining(base, model.from);
      trainings.set(JSON.stringify(train), train);
    }
  }
  const percent = (f: number): string => (fractions.length === 1 ? '' : ` (${formatFraction(f)})`);
  const steps = [
    'data',
    ...[...trainings.keys()].map((_, i) => `training ${i + 1}/${trainings.size}`),
    ...(needs.has('handcrafted') ? ['hand-crafted features'] : []),
    ...(needs.has('random-encoder') ? ['random encoder'] : []),
    ...fractions.flatMap((f) => [...modelRows.map((r) => `${r.set}${percent(f)}`), `compare${percent(f)}`]),
    'report',
  ];
  let index = 0;
  const step = (name: string): void => hooks.onProgress?.({ kind: 'step', name, index: index++, total: steps.length });
  const note = (message: string): void => hooks.onProgress?.({ kind: 'note', message });

  step('data');
  const data = await resolveExperimentData(root, scale, options.data);
  const trained = new Map<string, TrainedVariant & { train: TrainingConfigInput }>();
  for (const [key, train] of trainings) {
    step(`training ${trained.size + 1}/${trainings.size}`);
    trained.set(key, { ...(await trainVariant(root, data, train, note)), train });
  }
  const records = new Map<FeatureSource['kind'], SourceRecord>();
  if (needs.has('handcrafted')) {
    step('hand-crafted features');
    const f = await handcraftedFeatures(root, data, note);
    records.set('handcrafted', { kind: 'handcrafted', dir: join(f.path, '..'), path: f.path, reused: f.reused, seconds: f.seconds });
  }
  if (needs.has('random-encoder')) {
    step('random encoder');
    const t0 = performance.now();
    const defaultModel = trained.get(JSON.stringify(base))!;
    const dir = join(defaultModel.dir, 'random-encoder');
    const control = await embedWithRandomEncoder(defaultModel.modelDir, data.transactions, dir, scale.seed + 1);
    records.set('random-encoder', { kind: 'random-encoder', dir, path: control.embeddings, reused: false, seconds: (performance.now() - t0) / 1000 });
  }
  const recordOf = (source: FeatureSource): SourceRecord => {
    if (source.kind !== 'trained') return records.get(source.kind)!;
    const t = trained.get(JSON.stringify(mergeTraining(base, source.train)))!;
    return { kind: 'trained', train: t.train, dir: t.dir, path: t.embeddings, reused: t.reused, seconds: t.seconds };
  };
  const featureRecords = featureRows.map((r) => ({ set: r.set, sources: r.sources.map(recordOf) }));
  const featureSets: FeatureSetSpec[] = featureRecords.map((r) => ({ name: r.set, paths: r.sources.map((s) => s.path) }));

  const folds = scale.folds ?? 5;
  const measured: { fraction: number; comparison: CompareResult; models: ModelRecord[] }[] = [];
  for (const fraction of fractions) {
    const labelFraction = fraction === 1 ? undefined : fraction;
    const protocol = { folds, seed: scale.seed, ...(labelFraction === undefined ? {} : { labelFraction }) };
    const models: ModelRecord[] = [];
    for (const row of modelRows) {
      step(`${row.set}${percent(fraction)}`);
      const pretrained = row.model.kind === 'fine-tuned' ? trained.get(JSON.stringify(mergeTraining(base, row.model.from))) : undefined;
      const evaluated = await evaluateModelRow({ root, data, scale, name: row.set, model: row.model, ...(pretrained === undefined ? {} : { pretrained }), protocol, note });
      models.push({ set: row.set, model: row.model, ...evaluated });
    }
    step(`compare${percent(fraction)}`);
    const comparison = await compareFeatureSets({
      targetsPath: data.targetsPath,
      idColumn: data.idColumn,
      targets: data.targets,
      featureSets,
      include: models.map((m) => m.included),
      baseline,
      seed: scale.seed,
      folds,
      ...(labelFraction === undefined ? {} : { labelFraction }),
      ...(scale.trees === undefined ? {} : { numIterations: scale.trees }),
      // Every row gets the same LightGBM parameters; a larger step suits the small scales' ~100 trees.
      ...(scale.learningRate === undefined ? {} : { params: { multiclass: { learningRate: scale.learningRate }, binary: { learningRate: scale.learningRate } } }),
      onProgress: note,
    });
    measured.push({ fraction, comparison: tableOrder(comparison, variants), models });
  }
  // The lecture-layout table shows every label; the label-fraction pages add one table per target.
  const full = measured.find((m) => m.fraction === 1) ?? measured[measured.length - 1]!;

  step('report');
  const seconds = (performance.now() - started) / 1000;
  const rows = variants.map((v) => {
    const features = featureRecords.find((r) => r.set === v.set);
    if (features !== undefined) return features;
    return { set: v.set, models: measured.map((m) => modelDetail(m.fraction, m.models.find((r) => r.set === v.set)!)) };
  });
  const file: ExperimentFile<ExperimentDetails> = {
    formatVersion: 1,
    experiment: options.name,
    title: definition.title,
    methodHeader: definition.methodHeader,
    command: options.command,
    scale: options.scale,
    methods: [
      ...variants.map((v) => ({ set: v.set, description: v.description, ...(v.published === undefined ? {} : { published: v.published }) })),
      ...(definition.pending ?? []),
    ],
    comparison: full.comparison,
    ...(fractions.length === 1 ? {} : { fractions: measured.map((m) => ({ fraction: m.fraction, comparison: m.comparison })) }),
    seconds,
    settings: settingsOf(scale, data, full.comparison.protocol.numIterations, modelRows.length > 0),
    details: { data: { ...data.origin, transactions: data.transactions, targets: data.targetsPath }, scale, rows },
  };
  const files = await writeExperimentReport(file, root);
  await writeResultsIndex(root);
  const all = [...trained.values()];
  const neural = measured.flatMap((m) => m.models);
  return {
    files,
    seconds,
    trainings: { ran: all.filter((t) => !t.reused).length, reused: all.filter((t) => t.reused).length },
    modelRows: { ran: neural.filter((m) => !m.reused).length, reused: neural.filter((m) => m.reused).length },
    table: measured.flatMap((m) => m.comparison.results.map((r) => ({
      method: r.set, target: r.target, metric: r.metrics[0]!.metric, mean: r.metrics[0]!.test.mean, halfWidth: r.metrics[0]!.test.halfWidth,
      ...(fractions.length === 1 ? {} : { fraction: m.fraction }),
    }))),
  };
}

/** A model row of one comparison, as evaluated. */
type ModelRecord = EvaluatedModelRow & { readonly set: string; readonly model: LabelledModel };

/** How a model row was produced at one fraction, for NAME.json. */
function modelDetail(fraction: number, m: ModelRecord): ModelRowRecord {
  return {
    fraction,
    model: m.model,
    dir: m.dir,
    training: m.training,
    ...(m.finetune === undefined ? {} : { finetune: m.finetune }),
    reused: m.reused,
    seconds: m.seconds,
  };
}

/** Results in the catalogue's row order (the comparison lists feature sets first, included rows after). */
function tableOrder(comparison: CompareResult, variants: readonly ExperimentVariant[]): CompareResult {
  const rank = new Map(variants.map((v, i) => [v.set, i]));
  const results = [...comparison.results].sort((a, b) => (rank.get(a.set) ?? 0) - (rank.get(b.set) ?? 0));
  return { ...comparison, results };
}

/** `5%`, `100%`. */
function formatFraction(f: number): string {
  return `${Number((f * 100).toPrecision(3))}%`;
}

/** The default training of a scale: GRU at the scale's hidden size, slices of 25–viewMax events, the ptls loss and miner. */
export function baseTraining(scale: ExperimentScale): TrainingConfigInput {
  return {
    epochs: scale.epochs,
    seed: scale.seed,
    encoder: { hidden: scale.hidden },
    splitter: { kind: 'slices', splitCount: 5, cntMin: 25, cntMax: scale.viewMax },
  };
}

/** Unique row names and exactly one default row; returns the default's name (the t-test baseline). */
function checkVariants(name: string, variants: readonly ExperimentVariant[]): string {
  if (variants.length === 0) throw new ConfigError(`Experiment \`${name}\` has no rows`);
  const names = variants.map((v) => v.set);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) throw new ConfigError(`Experiment \`${name}\` names row \`${duplicate}\` twice`);
  const defaults = variants.filter((v) => v.isDefault === true);
  if (defaults.length !== 1) throw new ConfigError(`Experiment \`${name}\` must mark exactly one default row, got ${defaults.length}`);
  if (variants.some((v) => v.sources !== undefined && v.sources.length === 0)) throw new ConfigError(`Experiment \`${name}\` has a row without feature sources`);
  // The t-tests pair LightGBM folds with the default's; a model row as default would work too, but no table needs it.
  if (defaults[0]!.sources === undefined) throw new ConfigError(`Experiment \`${name}\`: the default row must be a LightGBM row`);
  return defaults[0]!.set;
}

function settingsOf(scale: ExperimentScale, data: ResolvedData, trees: Readonly<Record<string, number>>, labelled: boolean): Record<string, string | number> {
  const l = scale.labelled;
  return {
    data: data.origin.kind === 'generated' ? `meles generate, ${data.origin.clients} clients, seed ${data.origin.seed}` : data.transactions,
    epochs: scale.epochs,
    'default encoder': `GRU, hidden ${scale.hidden}`,
    views: `5 × 25–${scale.viewMax} events`,
    'LightGBM trees': Object.entries(trees).map(([k, v]) => `${k} ${v}`).join(', '),
    'LightGBM learning rate': scale.learningRate ?? 'reference (0.02)',
    folds: scale.folds ?? 5,
    ...(labelled
      ? {
          'supervised model': `${l.supervisedEpochs} epochs, lr ${l.supervisedLearningRate}`,
          'fine-tuning': `${l.finetuneEpochs} epochs, encoder lr ${l.encoderLearningRate}, head lr ${l.headLearningRate}${l.standardizeEmbedding ? ', standardised embedding' : ''}`,
          'labelled-model slices': `${l.sliceMin}–${l.sliceMax} events`,
        }
      : {}),
    seed: scale.seed,
  };
}
