/**
 * `fitModel`: one LightGBM model on every labelled client that has features, with the evaluation
 * protocol's reference parameters for the target's kind, saved as a model directory
 * (model-artefact.ts) that `scoreModel` applies to new feature files. Optionally the protocol
 * itself (`evaluateFeatureSets`) runs on the same files, so the directory records how well this
 * kind of model scores on held-out clients.
 */
import { resolve } from 'node:path';
import { readFeatureTable } from '../../data/feature-table.js';
import { partitionedOutputManifestPath } from '../../data/partitioned-output.js';
import { readTargets, type TargetSpec } from '../../data/label-file.js';
import { DataFormatError } from '../../errors.js';
import { expectInteger } from '../../options.js';
import { evaluateFeatureSets } from '../evaluation/evaluate.js';
import { DEFAULT_ITERATIONS, leafMinimumLoweredNote, paramsFor, type LightGBMOverrides } from '../evaluation/lightgbm-defaults.js';
import { resolveLightGBMParams, trainBooster } from '../lightgbm/index.js';
import { featureSources, fileColumns } from './feature-input.js';
import { sha256Of, sha256OfFile, writeModelArtefact, type FitDescription } from './model-artefact.js';

/** Options of {@link fitModel}. */
export interface FitOptions {
  /** Feature Arrow files, inner-joined on the id column. Minimum: one. */
  readonly features: readonly string[];
  /** Label file (Arrow or `.csv`) with the id column and the target column. */
  readonly targets: string;
  /** Client id column, the same name in the label and feature files. */
  readonly idColumn: string;
  /** The target and its kind. */
  readonly target: TargetSpec;
  /** Model directory to write (`model.txt`, `fit.json`). */
  readonly out: string;
  /** Boosting iterations. Minimum: `1`. @defaultValue the reference's 500 (binary) / 1000 (multiclass) */
  readonly trees?: number;
  /** LightGBM parameters over the reference defaults of the target's kind. @defaultValue `{}` */
  readonly params?: LightGBMOverrides;
  /** Seed of LightGBM (and of the evaluation's splits). @defaultValue `42` */
  readonly seed?: number;
  /** Also run the evaluation protocol and record its scores in `fit.json`. @defaultValue `false` */
  readonly evaluate?: boolean;
  /** Folds of that evaluation. Minimum: `2`. @defaultValue `5` */
  readonly folds?: number;
  /** Progress and warnings. @defaultValue `undefined` */
  readonly onProgress?: (message: string) => void;
}

/** The reference leaf minimum lowered for a small training set (`cappedLeafMinimum`). */
export interface LoweredLeafMinimum {
  /** The configured `min_data_in_leaf` (the reference's 50). */
  readonly from: number;
  /** The one the model was trained with. */
  readonly to: number;
  /** Training rows it was capped for. */
  readonly trainRows: number;
}

/** What {@link fitModel} wrote. */
export interface FitResult {
  /** The description saved as `fit.json`. */
  readonly fit: FitDescription;
  /** Messages about the join (dropped ids, renamed columns) and a lowered leaf minimum. */
  readonly warnings: readonly string[];
  /** Set when the leaf minimum was capped for a small training set, else `null`. */
  readonly leafMinimum: LoweredLeafMinimum | null;
}

/**
 * Trains and saves the model, with the evaluation protocol's parameters: the reference defaults of
 * the target's kind under `params`, the leaf minimum capped for small training sets as there.
 * @throws DataFormatError for unreadable files, a target column among the features, or fewer than
 *   two classes among the labelled clients with features; ConfigError for bad parameters.
 */
export async function fitModel(options: FitOptions): Promise<FitResult> {
  const seed = expectInteger('seed', options.seed ?? 42, 0, 2 ** 31 - 1);
  const trees = expectInteger('trees', options.trees ?? DEFAULT_ITERATIONS[options.target.kind], 1);
  const { targets } = await readTargets(options.targets, options.idColumn, [options.target]);
  const target = targets[0]!;
  const table = await readFeatureTable(options.features, options.idColumn, { forbidden: [target.column] });
  const warnings = [...table.warnings];
  const perFile = await Promise.all(options.features.map((path) => fileColumns(path, options.idColumn)));
  const features = featureSources(table.names, perFile.map((f) => f.names));

  const rowOf = new Map(table.keys.map((k, i) => [k, i]));
  const used = target.keys.map((k, i) => [rowOf.get(k), target.labels[i]!] as const).filter((pair): pair is readonly [number, number] => pair[0] !== undefined);
  const unlabelled = target.keys.length - used.length;
  if (unlabelled > 0) warnings.push(`${unlabelled} labelled client(s) of \`${target.column}\` have no features in every file and were left out`);
  if (new Set(used.map(([, y]) => y)).size < 2) {
    throw new DataFormatError(`${options.targets}: target \`${target.column}\`: fewer than 2 classes remain among the ${used.length} labelled clients that have features`);
  }
  const X = new Float64Array(used.length * table.cols);
  used.forEach(([row], r) => X.set(table.X.subarray(row * table.cols, (row + 1) * table.cols), r * table.cols));
  const y = Int32Array.from(used, ([, label]) => label);

  // The leaf minimum is capped for small training sets exactly as in the evaluation protocol
  // (paramsFor with the row count); an explicit `minDataInLeaf` stays as given.
  const params = resolveLightGBMParams(paramsFor(target.kind, target.classes.length, options.params, seed, used.length));
  const leafMinimum = loweredLeafMinimum(paramsFor(target.kind, target.classes.length, options.params, seed).minDataInLeaf, params.minDataInLeaf, used.length);
  const lowered = leafMinimum === null ? undefined : leafMinimumLoweredNote(leafMinimum.from, [{ minDataInLeaf: leafMinimum.to, trainRows: leafMinimum.trainRows }]);
  if (lowered !== undefined) warnings.push(`target \`${target.column}\`: ${lowered}`);
  options.onProgress?.(`fitting ${target.column} (${target.kind}) on ${used.length} clients × ${table.cols} features, ${trees} trees`);
  const { booster } = trainBooster(X, used.length, table.cols, y, params, { numIterations: trees });
  let modelText: string;
  let kept: number;
  try {
    modelText = booster.saveToString();
    kept = booster.currentIteration;
  } finally {
    booster.free();
  }

  const fit: FitDescription = {
    formatVersion: 1,
    target: target.column,
    kind: target.kind,
    classes: [...target.classes],
    idColumn: options.idColumn,
    features,
    // A partitioned output is fingerprinted by its manifest (which holds every part's sha256).
    featureFiles: await Promise.all(options.features.map(async (path, i) => ({ path: resolve(path), sha256: await sha256OfFile((await partitionedOutputManifestPath(path)) ?? path), rows: rowsOf(table.keys.length, table.dropped[i]?.count) }))),
    targets: { path: resolve(options.targets), sha256: await sha256OfFile(options.targets) },
    rows: used.length,
    trees: kept,
    params: { ...params },
    modelSha256: sha256Of(modelText),
    fittedAt: new Date().toISOString(),
    evaluation: options.evaluate ? await evaluationOf(options, trees, seed) : null,
  };
  await writeModelArtefact(options.out, fit, modelText);
  return { fit, warnings, leafMinimum };
}

/** The cap's effect, when it lowered the configured leaf minimum (`undefined`: LightGBM's 20). */
function loweredLeafMinimum(configured: number | undefined, used: number | undefined, trainRows: number): LoweredLeafMinimum | null {
  const from = configured ?? 20;
  const to = used ?? 20;
  return to < from ? { from, to, trainRows } : null;
}

/** Rows of one feature file: the joined rows plus the ones the join dropped from it. */
function rowsOf(joined: number, dropped: number | undefined): number {
  return joined + (dropped ?? 0);
}

async function evaluationOf(options: FitOptions, trees: number, seed: number): Promise<FitDescription['evaluation']> {
  const result = await evaluateFeatureSets({
    targetsPath: options.targets,
    idColumn: options.idColumn,
    targets: [options.target],
    featureSets: [{ name: 'features', paths: options.features }],
    seed,
    numIterations: trees,
    params: { [options.target.kind]: options.params ?? {} },
    ...(options.folds === undefined ? {} : { folds: options.folds }),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return {
    protocol: { folds: result.protocol.folds, testFraction: result.protocol.testFraction, seed: result.protocol.seed },
    metrics: result.results[0]!.metrics.map((m) => ({
      metric: m.metric,
      test: { mean: finite(m.test.mean), halfWidth: finite(m.test.halfWidth) },
      valid: { mean: finite(m.valid.mean), halfWidth: finite(m.valid.halfWidth) },
    })),
  };
}
