/**
 * `evaluateFeatureSets`: the embeddings-validation protocol of pytorch-lifestream. Labelled
 * clients with features in every set lose a seeded, stratified test part; the rest is split into
 * stratified folds; per fold LightGBM is trained on the other folds and scored on the held-out
 * fold and on the test part. All sets share the same clients and splits, so their fold scores
 * pair up for the t-test against the baseline.
 *
 * No MaxAbsScaler: ptls scales features before LightGBM, but tree splits only depend on the
 * order of values, which a positive per-column scale does not change, so the result is the same.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ConfigError, DataFormatError } from '../../errors.js';
import { expectInteger, expectNumber } from '../../options.js';
import type { EvaluateOptions, EvaluationResult, MetricScores, SetTargetResult, TargetSplit } from './evaluate-types.js';
import { readFeatureTable, type FeatureTable } from '../../data/feature-table.js';
import { compareWithBaseline } from './baseline-tests.js';
import { expectLabelFraction } from './label-fraction.js';
import { planSplits, type SplitPlan } from './split-plan.js';
import { metricsFor, scoreMetric, summarizeMetrics } from './fold-scores.js';
import { DEFAULT_ITERATIONS, LEAF_MINIMUM_DIVISOR, paramsFor, type LightGBMOverrides } from './lightgbm-defaults.js';
import { trainBooster } from '../lightgbm/index.js';
import { readTargets, type Target, type TargetKind } from '../../data/label-file.js';

/** Runs the protocol for every feature set × target. */
export async function evaluateFeatureSets(options: EvaluateOptions): Promise<EvaluationResult> {
  const folds = expectInteger('folds', options.folds ?? 5, 2);
  const testFraction = expectNumber('testFraction', options.testFraction ?? 0.1, 0, 0.9);
  const seed = expectInteger('seed', options.seed ?? 42, 0, 2 ** 31 - 1);
  const labelFraction = options.labelFraction === undefined ? undefined : expectLabelFraction(options.labelFraction);
  if (options.numIterations !== undefined) expectInteger('numIterations', options.numIterations, 1);
  checkSetsAndTargets(options);
  const numIterations: Record<TargetKind, number> = {
    multiclass: options.numIterations ?? DEFAULT_ITERATIONS.multiclass,
    binary: options.numIterations ?? DEFAULT_ITERATIONS.binary,
  };
  const warnings: string[] = [];
  const { targets, idKind } = await readTargets(options.targetsPath, options.idColumn, options.targets);
  const tables = new Map<string, FeatureTable>();
  for (const set of options.featureSets) {
    const table = await readFeatureTable(set.paths, options.idColumn, { forbidden: options.targets.map((t) => t.column), allowMixedModels: options.allowMixedModels === true });
    tables.set(set.name, table);
    warnings.push(...table.warnings.map((w) => `set \`${set.name}\`: ${w}`));
  }

  // Every target is planned before any model is trained, so a bad target or a refused split
  // (checkSplit) fails in seconds rather than after the first target's LightGBM runs.
  const rowsOf = options.featureSets.map((s) => new Map(tables.get(s.name)!.keys.map((k, i) => [k, i])));
  const planned = targets.map((target) => {
    const used = target.keys.map((_, i) => i).filter((i) => rowsOf.every((m) => m.has(target.keys[i]!)));
    noteMissing(target, used.length, options, idKind, [...tables.values()], warnings);
    const labels = Int32Array.from(used, (i) => target.labels[i]!);
    if (new Set(labels).size < 2) {
      throw new DataFormatError(`${options.targetsPath}: target \`${target.column}\`: fewer than 2 classes remain among the ${used.length} clients that have features`);
    }
    const plan = planSplits(used.map((i) => target.keys[i]!), labels, { folds, testFraction, seed, ...(labelFraction === undefined ? {} : { labelFraction }) });
    const split: TargetSplit = {
      target: target.column, kind: target.kind, classes: target.classes, labelled: target.keys.length, used: used.length, test: plan.test.length,
      fingerprint: plan.fingerprint,
    };
    return { target, used, labels, plan, split };
  });
  for (const { split } of planned) options.checkSplit?.(split);

  const results: SetTargetResult[] = [];
  for (const { target, used, labels, plan } of planned) {
    for (const [s, set] of options.featureSets.entries()) {
      const table = tables.get(set.name)!;
      const tableRows = used.map((i) => rowsOf[s]!.get(target.keys[i]!)!);
      const started = performance.now();
      const { metrics, gain, leafMinima } = await crossValidate(table, tableRows, labels, target, plan, {
        numIterations: numIterations[target.kind],
        overrides: options.params?.[target.kind],
        seed,
        signal: options.signal,
        progress: (f) => options.onProgress?.(`${set.name} / ${target.column}: fold ${f + 1} of ${folds}`),
      });
      const lowered = leafMinimumNote(leafMinima, options.params?.[target.kind], target.kind);
      if (lowered !== undefined) warnings.push(`set \`${set.name}\` / target \`${target.column}\`: ${lowered}`);
      results.push({
        set: set.name, target: target.column, kind: target.kind, features: table.cols, metrics,
        seconds: (performance.now() - started) / 1000,
        topFeatures: topFeatures(table.names, gain),
      });
    }
  }
  return {
    protocol: { folds, testFraction, seed, ...(labelFraction === undefined ? {} : { labelFraction }), numIterations },
    splits: planned.map((p) => p.split),
    results,
    comparisons: compareWithBaseline(results, options.baseline),
    warnings,
  };
}

interface FoldSettings {
  readonly numIterations: number;
  readonly overrides: LightGBMOverrides | undefined;
  readonly seed: number;
  readonly signal: AbortSignal | undefined;
  readonly progress: (fold: number) => void;
}

async function crossValidate(
  table: FeatureTable,
  tableRows: readonly number[],
  labels: Int32Array,
  target: Target,
  plan: SplitPlan,
  settings: FoldSettings,
): Promise<{ metrics: MetricScores[]; gain: Float64Array; leafMinima: LeafMinimum[] }> {
  const { test, folds: foldRows } = plan;
  const names = metricsFor(target.kind);
  const foldScores: number[][] = names.map(() => []);
  const testScores: number[][] = names.map(() => []);
  const testX = gather(table, tableRows, test);
  const testY = Int32Array.from(test, (r) => labels[r]!);
  const gain = new Float64Array(table.cols);
  const leafMinima: LeafMinimum[] = [];
  for (let f = 0; f < foldRows.length; f++) {
    settings.progress(f);
    // Training blocks the thread; give timers, signals and progress output a turn between folds.
    await yieldToEventLoop();
    settings.signal?.throwIfAborted();
    const train = plan.training[f]!;
    // Per fold: the reference leaf minimum is capped for small training sets (cappedLeafMinimum).
    const params = paramsFor(target.kind, target.classes.length, settings.overrides, settings.seed, train.length);
    leafMinima.push({ trainRows: train.length, minDataInLeaf: params.minDataInLeaf! });
    const { booster } = trainBooster(gather(table, tableRows, train), train.length, table.cols, Int32Array.from(train, (r) => labels[r]!), params, {
      numIterations: settings.numIterations,
    });
    try {
      booster.featureImportance('gain').forEach((g, j) => (gain[j]! += g));
      const held = foldRows[f]!;
      const heldPred = booster.predict(gather(table, tableRows, held), held.length, table.cols);
      const heldY = Int32Array.from(held, (r) => labels[r]!);
      names.forEach((m, k) => foldScores[k]!.push(scoreMetric(m, heldPred, heldY, target.classes.length)));
      if (test.length > 0) {
        const testPred = booster.predict(testX, test.length, table.cols);
        names.forEach((m, k) => testScores[k]!.push(scoreMetric(m, testPred, testY, target.classes.length)));
      }
    } finally {
      booster.free();
    }
  }
  return { metrics: summarizeMetrics(names, foldScores, testScores), gain, leafMinima };
}

/** The leaf minimum one fold's booster was trained with. */
interface LeafMinimum {
  readonly trainRows: number;
  readonly minDataInLeaf: number;
}

/** Says when the reference leaf minimum was capped for small fold training sets, so reports show it. */
function leafMinimumNote(minima: readonly LeafMinimum[], overrides: LightGBMOverrides | undefined, kind: TargetKind): string | undefined {
  const configured = paramsFor(kind, 2, overrides).minDataInLeaf!;
  const capped = minima.filter((m) => m.minDataInLeaf < configured);
  if (capped.length === 0) return undefined;
  const span = (values: number[]): string => (Math.min(...values) === Math.max(...values) ? `${values[0]}` : `${Math.min(...values)}–${Math.max(...values)}`);
  return `LightGBM min_data_in_leaf lowered from ${configured} to ${span(capped.map((m) => m.minDataInLeaf))} in ${capped.length} of ${minima.length} folds` +
    ` (${span(capped.map((m) => m.trainRows))} training rows; at most 1/${LEAF_MINIMUM_DIVISOR} of the rows a tree is grown on, lightgbm-defaults.ts)`;
}

function topFeatures(names: readonly string[], gain: Float64Array): { name: string; gainShare: number }[] {
  const total = gain.reduce((a, b) => a + b, 0);
  if (total <= 0) return [];
  return Array.from(gain.keys())
    .sort((a, b) => gain[b]! - gain[a]!)
    .slice(0, 10)
    .filter((j) => gain[j]! > 0)
    .map((j) => ({ name: names[j]!, gainShare: gain[j]! / total }));
}

/** Row-major copy of the rows `rows` (indices into `tableRows`) of the feature table. */
function gather(table: FeatureTable, tableRows: readonly number[], rows: readonly number[]): Float64Array {
  const cols = table.cols;
  const out = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => out.set(table.X.subarray(tableRows[r]! * cols, tableRows[r]! * cols + cols), i * cols));
  return out;
}

function noteMissing(target: Target, used: number, options: EvaluateOptions, idKind: string, tables: FeatureTable[], warnings: string[]): void {
  const missing = target.keys.length - used;
  if (missing === 0) return;
  if (used === 0) {
    throw new DataFormatError(
      `${options.targetsPath}: none of the ${target.keys.length} labelled ids of \`${target.column}\` has features in every set` +
        ` (label ids are ${idKind}; feature rows: ${tables.map((t) => t.rows).join(', ')})`,
    );
  }
  warnings.push(`target \`${target.column}\`: ${missing} of ${target.keys.length} labelled ids have no features in every set; using the ${used} in all of them`);
}

function checkSetsAndTargets(options: EvaluateOptions): void {
  if (options.targets.length === 0) throw new ConfigError('Expected at least one target (`--target column:kind`), got none');
  if (options.featureSets.length === 0) throw new ConfigError('Expected at least one feature set, got none');
  const names = options.featureSets.map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new ConfigError(`Feature set names must be unique; \`${twice}\` is given twice`);
  if (options.baseline !== undefined && !names.includes(options.baseline)) {
    throw new ConfigError(`The baseline \`${options.baseline}\` is not one of the feature sets (${names.join(', ')})`);
  }
}
