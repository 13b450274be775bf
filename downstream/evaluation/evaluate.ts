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
import { ConfigError, DataFormatError } from '../../errors.js';
import { expectInteger, expectNumber } from '../../options.js';
import type { EvaluateOptions, EvaluationResult, MetricScores, SetTargetResult, TargetSplit } from './evaluate-types.js';
import { readFeatureTable, type FeatureTable } from '../../data/feature-table.js';
import { compareWithBaseline } from './baseline-tests.js';
import { expectLabelFraction } from './label-fraction.js';
import { planSplits, type SplitPlan } from './split-plan.js';
import { metricsFor, scoreMetric, summarizeMetrics } from './fold-scores.js';
import { DEFAULT_ITERATIONS, leafMinimumLoweredNote, paramsFor, type LeafMinimumUse, type LightGBMOverrides } from './lightgbm-defaults.js';
import { defaultParallelFits, FoldFitPool } from './fold-fit-pool.js';
import type { FoldFitResult } from './fold-fit.js';
import { resolveLightGBMParams } from '../lightgbm/index.js';
import { readTargets, type Target, type TargetKind } from '../../data/label-file.js';

/** Runs the protocol for every feature set × target. */
export async function evaluateFeatureSets(options: EvaluateOptions): Promise<EvaluationResult> {
  const folds = expectInteger('folds', options.folds ?? 5, 2);
  const testFraction = expectNumber('testFraction', options.testFraction ?? 0.1, 0, 0.9);
  const seed = expectInteger('seed', options.seed ?? 42, 0, 2 ** 31 - 1);
  const labelFraction = options.labelFraction === undefined ? undefined : expectLabelFraction(options.labelFraction);
  if (options.numIterations !== undefined) expectInteger('numIterations', options.numIterations, 1);
  const parallelFits = expectInteger('parallelFits', options.parallelFits ?? defaultParallelFits(threadsPerFit(options.params)), 1, 64);
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

  // Every fit of every set and target goes to one pool, so both cores stay busy across the
  // boundaries between sets; the results are gathered in the order of the sequential protocol.
  const pool = options.pool ?? new FoldFitPool(parallelFits);
  const units = planned.flatMap(({ target, used, labels, plan }) =>
    options.featureSets.map((set, s) => ({ target, labels, plan, set, table: tables.get(set.name)!, tableRows: used.map((i) => rowsOf[s]!.get(target.keys[i]!)!) })),
  );
  let evaluated: Awaited<ReturnType<typeof crossValidate>>[];
  try {
    evaluated = await Promise.all(units.map((u) => crossValidate(pool, u.table, u.tableRows, u.labels, u.target, u.plan, {
      numIterations: numIterations[u.target.kind],
      overrides: options.params?.[u.target.kind],
      seed,
      signal: options.signal,
      progress: (f) => options.onProgress?.(`${u.set.name} / ${u.target.column}: fold ${f + 1} of ${folds}`),
    })));
  } finally {
    if (options.pool === undefined) await pool.close();
  }
  const results: SetTargetResult[] = units.map((u, k) => {
    const { metrics, gain, leafMinima, seconds } = evaluated[k]!;
    const lowered = leafMinimumLoweredNote(paramsFor(u.target.kind, 2, options.params?.[u.target.kind]).minDataInLeaf, leafMinima);
    if (lowered !== undefined) warnings.push(`set \`${u.set.name}\` / target \`${u.target.column}\`: ${lowered}`);
    return {
      set: u.set.name, target: u.target.column, kind: u.target.kind, features: u.table.cols, metrics,
      seconds,
      topFeatures: topFeatures(u.table.names, gain),
    };
  });
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

/**
 * One set × target: a fit per fold through `pool`, scored in fold order. `seconds` is the time
 * the fits took, summed (with parallel fits it exceeds the wall time).
 */
async function crossValidate(
  pool: FoldFitPool,
  table: FeatureTable,
  tableRows: readonly number[],
  labels: Int32Array,
  target: Target,
  plan: SplitPlan,
  settings: FoldSettings,
): Promise<{ metrics: MetricScores[]; gain: Float64Array; leafMinima: LeafMinimumUse[]; seconds: number }> {
  const { test, folds: foldRows } = plan;
  const names = metricsFor(target.kind);
  const testY = Int32Array.from(test, (r) => labels[r]!);
  const leafMinima: LeafMinimumUse[] = [];
  const fits: Promise<FoldFitResult>[] = foldRows.map((held, f) => {
    const train = plan.training[f]!;
    // Per fold: the reference leaf minimum is capped for small training sets (cappedLeafMinimum).
    const params = paramsFor(target.kind, target.classes.length, settings.overrides, settings.seed, train.length);
    resolveLightGBMParams(params); // a bad override fails here, in this thread, as a ConfigError
    leafMinima.push({ trainRows: train.length, minDataInLeaf: params.minDataInLeaf! });
    return pool.run(() => {
      settings.signal?.throwIfAborted();
      settings.progress(f);
      return {
        params, numIterations: settings.numIterations, cols: table.cols,
        trainX: gather(table, tableRows, train), trainY: Int32Array.from(train, (r) => labels[r]!),
        heldX: gather(table, tableRows, held), testX: gather(table, tableRows, test),
      };
    });
  });
  const done = await Promise.all(fits);
  const foldScores: number[][] = names.map(() => []);
  const testScores: number[][] = names.map(() => []);
  const gain = new Float64Array(table.cols);
  done.forEach((fit, f) => {
    fit.gain.forEach((g, j) => (gain[j]! += g));
    const heldY = Int32Array.from(foldRows[f]!, (r) => labels[r]!);
    names.forEach((m, k) => foldScores[k]!.push(scoreMetric(m, fit.heldPred, heldY, target.classes.length)));
    if (test.length > 0) names.forEach((m, k) => testScores[k]!.push(scoreMetric(m, fit.testPred, testY, target.classes.length)));
  });
  return { metrics: summarizeMetrics(names, foldScores, testScores), gain, leafMinima, seconds: done.reduce((a, d) => a + d.seconds, 0) };
}

/** LightGBM threads one fit uses: the larger of the two kinds' settings (LightGBM's default here is 1). */
function threadsPerFit(params: EvaluateOptions['params']): number {
  return Math.max(params?.multiclass?.numThreads ?? 1, params?.binary?.numThreads ?? 1);
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
