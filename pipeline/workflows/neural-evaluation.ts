/**
 * `evaluateSequenceModel`: the evaluation protocol of `evaluateFeatureSets` for rows that are not
 * LightGBM on features but a sequence model trained on labels — a supervised encoder from scratch,
 * or a MeLES/CPC encoder fine-tuned (`meles evaluate-model`). The labelled clients get the same
 * split plan (downstream/evaluation/split-plan.ts: test part, folds, labelled fraction, fingerprint)
 * as in `meles compare`, so when both see the same labelled clients their rows share the table and
 * the paired t-tests (`meles compare --include`). Per target and fold a model is trained on the
 * fold's training clients (training/labelled) and scored on the held fold and the test part with
 * the same metrics and summaries as LightGBM rows.
 *
 * It lives in pipeline/ because it joins two peers: training/ trains, downstream/ plans and scores.
 */
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { writeFile } from 'node:fs/promises';
import { writeAtomically } from '../../data/atomic-write.js';
import { readTargets, type TargetSpec } from '../../data/label-file.js';
import { readSequences } from '../../data/read-sequences.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import { clientCount, clientIdAt, type SequenceSet } from '../../data/sequence-set.js';
import type { Vocabularies } from '../../data/vocabulary.js';
import type { EvaluationProtocol, SetTargetResult, TargetSplit } from '../../downstream/evaluation/evaluate-types.js';
import { metricsFor, scoreMetric, summarizeMetrics } from '../../downstream/evaluation/fold-scores.js';
import { expectLabelFraction } from '../../downstream/evaluation/label-fraction.js';
import { planSplits, type SplitPlan } from '../../downstream/evaluation/split-plan.js';
import type { BackendName } from '../../encoders/backend.js';
import { ConfigError, DataFormatError } from '../../errors.js';
import { expectInteger, expectNumber, expectString } from '../../options.js';
import { predictLabelled } from '../../training/labelled/predict-labelled.js';
import { resolveFinetuneOptions, trainLabelled, type FinetuneOptions } from '../../training/labelled/train-labelled.js';
import { loadModelDirectory } from '../../training/model-files.js';
import type { BatchProgress } from '../../training/trainer.js';
import type { TrainingOptions } from '../../training/training-options.js';
import type { ModelEvaluationResult } from './neural-evaluation-types.js';

export type { ModelEvaluationResult } from './neural-evaluation-types.js';

/** How each fold's model starts: a fresh encoder, or a pretrained model directory to fine-tune. */
export type ModelInit = { readonly kind: 'scratch' } | { readonly kind: 'pretrained'; readonly modelDir: string };

/** Options of {@link evaluateSequenceModel}. */
export interface SequenceModelEvaluationOptions {
  /** Transactions Arrow file. */
  readonly dataPath: string;
  /**
   * Schema mapping of `dataPath`. Required with `init: scratch`; must be omitted with
   * `init: pretrained`, whose model's mapping and vocabularies code the data. @defaultValue the pretrained model's
   */
  readonly schema?: SchemaMapping;
  /** Label file (Arrow or CSV). */
  readonly targetsPath: string;
  /** Id column of the label file. @defaultValue the schema mapping's id column */
  readonly idColumn?: string;
  /** Targets to predict. Minimum: one. */
  readonly targets: readonly TargetSpec[];
  /** Fresh encoder (supervised) or fine-tuning. */
  readonly init: ModelInit;
  /** Row name in reports. @defaultValue `'supervised'` from scratch, `'fine-tuned'` when pretrained */
  readonly name?: string;
  /** Resolved training options; `method` must be `supervised` (see `resolveTrainingOptions`). */
  readonly training: TrainingOptions;
  /** Fine-tuning learning rates and freezing. @defaultValue training/labelled's defaults when pretrained */
  readonly finetune?: Partial<FinetuneOptions>;
  /** Cross-validation folds. Minimum `2`. @defaultValue `5` */
  readonly folds?: number;
  /** Share of labelled clients isolated as the test part, in [0, 0.9]. @defaultValue `0.1` */
  readonly testFraction?: number;
  /** Seed of the splits (not of training: that is `training.seed`). @defaultValue `42` */
  readonly seed?: number;
  /** Share of each fold's training clients trained on, in (0, 1]. @defaultValue `1` (not recorded) */
  readonly labelFraction?: number;
  /** Output directory: `evaluation.json` and the fold models under `folds/`. */
  readonly outDir: string;
  /** Events per client when predicting (its last ones). @defaultValue `2000` */
  readonly maxEvents?: number;
  /** tfjs backend. @defaultValue `'auto'` */
  readonly backend?: BackendName | 'auto';
  /** One message per fold model. @defaultValue `undefined` */
  readonly onProgress?: (message: string) => void;
  /** Every training batch. @defaultValue `undefined` */
  readonly onBatch?: (progress: BatchProgress) => void;
  /** Checked between batches and folds; when aborted the evaluation rejects with its reason. @defaultValue `undefined` */
  readonly signal?: AbortSignal;
}

interface PlannedTarget {
  readonly spec: TargetSpec;
  readonly classes: readonly string[];
  /** Sequence-set index per labelled client in the plan. */
  readonly clients: Int32Array;
  readonly labels: Int32Array;
  readonly plan: SplitPlan;
  readonly split: TargetSplit;
}

/**
 * Runs the protocol for a sequence model on every target and writes `outDir/evaluation.json`.
 * Every input is read and every target planned before anything is written.
 * @throws ConfigError for bad settings; DataFormatError for bad files, labels no client in the
 *   data has, or one class only.
 */
export async function evaluateSequenceModel(options: SequenceModelEvaluationOptions): Promise<ModelEvaluationResult> {
  const protocol = resolveProtocol(options);
  if (options.targets.length === 0) throw new ConfigError('Expected at least one target (`--target column:kind`), got none');
  if (options.training.method !== 'supervised') throw new ConfigError(`Expected training \`method\` 'supervised' for a labelled model, got '${options.training.method}'`);
  const name = expectString('name', options.name ?? (options.init.kind === 'scratch' ? 'supervised' : 'fine-tuned'));
  const finetune = options.init.kind === 'pretrained' ? resolveFinetuneOptions(options.finetune) : undefined;
  const { data, schema, vocabularies } = await readData(options);
  const idColumn = options.idColumn ?? schema.id;
  const warnings: string[] = [];
  const planned = await planTargets(options, data, idColumn, protocol, warnings);

  const results: SetTargetResult[] = [];
  for (const target of planned) results.push(await crossValidate(options, name, target, { data, schema, vocabularies }));
  const result: ModelEvaluationResult = {
    name,
    dataPath: options.dataPath,
    targetsPath: options.targetsPath,
    idColumn,
    init: options.init,
    training: options.training,
    ...(finetune === undefined ? {} : { finetune }),
    protocol,
    splits: planned.map((t) => t.split),
    results,
    comparisons: [],
    warnings,
    finishedAt: new Date().toISOString(),
  };
  const file = join(options.outDir, 'evaluation.json');
  // NaN (a std of one score) has no JSON form; it becomes null, which the readers turn back into NaN.
  await writeAtomically(file, (tmp) => writeFile(tmp, `${JSON.stringify(result, null, 2)}\n`));
  return result;
}

function resolveProtocol(options: SequenceModelEvaluationOptions): EvaluationProtocol {
  const folds = expectInteger('folds', options.folds ?? 5, 2);
  const testFraction = expectNumber('testFraction', options.testFraction ?? 0.1, 0, 0.9);
  const seed = expectInteger('seed', options.seed ?? 42, 0, 2 ** 31 - 1);
  const labelFraction = options.labelFraction === undefined ? undefined : expectLabelFraction(options.labelFraction);
  if (options.maxEvents !== undefined) expectInteger('maxEvents', options.maxEvents, 1);
  return { folds, testFraction, seed, ...(labelFraction === undefined ? {} : { labelFraction }) };
}

interface CodedData {
  readonly data: SequenceSet;
  readonly schema: SchemaMapping;
  readonly vocabularies: Vocabularies;
}

/** Reads the sequences: with the given mapping (scratch) or the pretrained model's mapping and vocabularies. */
async function readData(options: SequenceModelEvaluationOptions): Promise<CodedData> {
  if (options.init.kind === 'scratch') {
    if (options.schema === undefined) throw new ConfigError('A supervised model needs the schema mapping of the data (`--schema FILE`)');
    const read = await readSequences(options.dataPath, options.schema);
    return { data: read.sequences, schema: options.schema, vocabularies: read.vocabularies };
  }
  if (options.schema !== undefined) {
    throw new ConfigError(`Fine-tuning reads the data with ${options.init.modelDir}'s own schema mapping and vocabularies; drop \`--schema\``);
  }
  const loaded = await loadModelDirectory(options.init.modelDir);
  loaded.model.dispose();
  const read = await readSequences(options.dataPath, loaded.schema, { vocabularies: loaded.vocabularies });
  return { data: read.sequences, schema: loaded.schema, vocabularies: loaded.vocabularies };
}

/** Joins each target's labelled ids to the sequences (warning about ids without events) and plans its splits. */
async function planTargets(
  options: SequenceModelEvaluationOptions,
  data: SequenceSet,
  idColumn: string,
  protocol: EvaluationProtocol,
  warnings: string[],
): Promise<PlannedTarget[]> {
  const { targets } = await readTargets(options.targetsPath, idColumn, options.targets);
  const indexOf = new Map<string, number>();
  for (let c = 0; c < clientCount(data); c++) indexOf.set(String(clientIdAt(data.ids, c)), c);
  return targets.map((target) => {
    const used = target.keys.map((_, i) => i).filter((i) => indexOf.has(target.keys[i]!));
    const missing = target.keys.length - used.length;
    if (used.length === 0) {
      throw new DataFormatError(
        `${options.targetsPath}: none of the ${target.keys.length} labelled ids of \`${target.column}\` is a client of ${options.dataPath}` +
          ` (e.g. label id \`${target.keys[0]}\`, data id \`${clientCount(data) > 0 ? clientIdAt(data.ids, 0) : 'none'}\`); is \`${idColumn}\` the right id column?`,
      );
    }
    if (missing > 0) warnings.push(`target \`${target.column}\`: ${missing} of ${target.keys.length} labelled ids have no events in ${options.dataPath}; using the ${used.length} that do`);
    const labels = Int32Array.from(used, (i) => target.labels[i]!);
    if (new Set(labels).size < 2) {
      throw new DataFormatError(`${options.targetsPath}: target \`${target.column}\`: fewer than 2 classes remain among the ${used.length} labelled clients with events`);
    }
    const keys = used.map((i) => target.keys[i]!);
    const plan = planSplits(keys, labels, protocol);
    return {
      spec: { column: target.column, kind: target.kind },
      classes: target.classes,
      clients: Int32Array.from(keys, (k) => indexOf.get(k)!),
      labels,
      plan,
      split: {
        target: target.column, kind: target.kind, classes: target.classes, labelled: target.keys.length, used: used.length, test: plan.test.length,
        fingerprint: plan.fingerprint,
      },
    };
  });
}

/** Trains one model per fold and scores it on the held fold and the test part. */
async function crossValidate(options: SequenceModelEvaluationOptions, name: string, target: PlannedTarget, coded: CodedData): Promise<SetTargetResult> {
  const { plan, labels, clients, classes } = target;
  const names = metricsFor(target.spec.kind);
  const foldScores: number[][] = names.map(() => []);
  const testScores: number[][] = names.map(() => []);
  const pick = (rows: readonly number[]) => ({ clients: Int32Array.from(rows, (r) => clients[r]!), labels: Int32Array.from(rows, (r) => labels[r]!) });
  const test = pick(plan.test);
  const started = performance.now();
  for (let f = 0; f < plan.folds.length; f++) {
    options.onProgress?.(`${name} / ${target.spec.column}: fold ${f + 1} of ${plan.folds.length}`);
    await yieldToEventLoop();
    options.signal?.throwIfAborted();
    const train = pick(plan.training[f]!);
    const trained = await trainLabelled({
      ...coded,
      clients: train.clients,
      labels: train.labels,
      task: { column: target.spec.column, kind: target.spec.kind, classes },
      init: options.init,
      options: options.training,
      ...(options.finetune === undefined ? {} : { finetune: options.finetune }),
      outDir: join(options.outDir, 'folds', foldDirName(target.spec.column), `fold-${f + 1}`),
      ...(options.backend === undefined ? {} : { backend: options.backend }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onBatch === undefined ? {} : { onProgress: options.onBatch }),
    });
    if (trained.aborted) options.signal?.throwIfAborted();
    const predict = (rows: Int32Array) => predictLabelled(trained.modelDir, coded.data, rows, options.maxEvents === undefined ? {} : { maxEvents: options.maxEvents });
    const held = pick(plan.folds[f]!);
    const heldPred = await predict(held.clients);
    names.forEach((m, k) => foldScores[k]!.push(scoreMetric(m, heldPred, held.labels, classes.length)));
    if (test.clients.length > 0) {
      const testPred = await predict(test.clients);
      names.forEach((m, k) => testScores[k]!.push(scoreMetric(m, testPred, test.labels, classes.length)));
    }
  }
  return {
    set: name,
    target: target.spec.column,
    kind: target.spec.kind,
    // The model's inputs: one column per mapped categorical and numeric field of each event.
    features: coded.schema.categorical.length + coded.schema.numeric.length,
    metrics: summarizeMetrics(names, foldScores, testScores),
    seconds: (performance.now() - started) / 1000,
    topFeatures: [],
  };
}

/** A target column as a directory name: anything but letters, digits, `_`, `-` and `.` becomes `_`. */
function foldDirName(column: string): string {
  return column.replace(/[^A-Za-z0-9_.-]/g, '_');
}
