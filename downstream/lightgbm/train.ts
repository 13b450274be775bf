/**
 * `trainBooster`: LightGBM training with optional early stopping on a validation set, the
 * equivalent of Python's `lgb.train(params, train_set, num_boost_round, valid_sets, callbacks=[early_stopping])`.
 */
import { ConfigError } from '../../errors.js';
import { expectInteger } from '../../options.js';
import { Booster, type FeatureMatrix } from './booster.js';
import { checkLabels, createDataset, type NativeDataset } from './dataset.js';
import { check, lgbm, type NativeHandle } from './native.js';
import { isHigherBetter, resolveLightGBMParams, toParamString, type LightGBMParams } from './params.js';

/** A validation set, scored after every iteration for early stopping. */
export interface ValidationSet {
  /** Row-major features with the same columns as the training matrix. */
  readonly X: FeatureMatrix;
  /** Number of rows of `X`. */
  readonly rows: number;
  /** One label per row. */
  readonly y: ArrayLike<number>;
}

/** Options of one training run. */
export interface TrainOptions {
  /** Boosting iterations (trees per class). Minimum: `1`. */
  readonly numIterations: number;
  /** Validation set; required when `earlyStoppingRounds` is set. @defaultValue `undefined` */
  readonly valid?: ValidationSet;
  /** Stop after this many iterations without improving the validation metric. @defaultValue `undefined` (no early stopping) */
  readonly earlyStoppingRounds?: number;
}

/** A trained booster plus what training did. */
export interface TrainResult {
  /** The model, truncated to the best iteration when early stopping triggered. Call `free()` when done. */
  readonly booster: Booster;
  /** Iterations kept in the model. */
  readonly bestIteration: number;
  /** Validation metric after each iteration (empty without `valid`). */
  readonly validScores: readonly number[];
}

/**
 * Trains a LightGBM model on the row-major matrix `X` (`rows × cols`, NaN = missing) with
 * labels `y`. Native Datasets are freed before returning; the caller owns the returned booster.
 */
export function trainBooster(
  X: FeatureMatrix,
  rows: number,
  cols: number,
  y: ArrayLike<number>,
  params: LightGBMParams,
  options: TrainOptions,
): TrainResult {
  const p = resolveLightGBMParams(params);
  const numIterations = expectInteger('numIterations', options.numIterations, 1);
  if (options.earlyStoppingRounds !== undefined) {
    expectInteger('earlyStoppingRounds', options.earlyStoppingRounds, 1);
    if (options.valid === undefined) throw new ConfigError('`earlyStoppingRounds` requires a `valid` set');
  }
  const paramString = toParamString(p);
  const api = lgbm();
  const datasets: NativeDataset[] = [];
  let handle: NativeHandle | null = null;
  try {
    const train = createDataset(X, rows, cols, checkLabels(y, rows, p), paramString);
    datasets.push(train);
    if (options.valid) {
      const v = options.valid;
      datasets.push(createDataset(v.X, v.rows, cols, checkLabels(v.y, v.rows, p), paramString, train));
    }
    const out: NativeHandle[] = [null];
    check(api.BoosterCreate(train.handle, paramString, out), 'BoosterCreate');
    handle = out[0];
    if (datasets[1]) check(api.BoosterAddValidData(handle, datasets[1].handle), 'BoosterAddValidData');
    const { bestIteration, validScores } = boost(handle, numIterations, datasets.length > 1, options.earlyStoppingRounds, isHigherBetter(p.metric));
    const booster = new Booster(handle, p.numThreads);
    handle = null;
    return { booster, bestIteration, validScores };
  } finally {
    if (handle !== null) api.BoosterFree(handle);
    for (const d of datasets) d.free();
  }
}

function boost(
  handle: NativeHandle,
  numIterations: number,
  hasValid: boolean,
  earlyStoppingRounds: number | undefined,
  higherIsBetter: boolean,
): { bestIteration: number; validScores: number[] } {
  const api = lgbm();
  const finished = [0];
  const evalLen = [0];
  const evalCount = [0];
  if (hasValid) check(api.BoosterGetEvalCounts(handle, evalCount), 'BoosterGetEvalCounts');
  const scores = new Float64Array(Math.max(1, evalCount[0]!));
  const validScores: number[] = [];
  let best = higherIsBetter ? -Infinity : Infinity;
  let bestIteration = 0;
  for (let i = 1; i <= numIterations; i++) {
    check(api.BoosterUpdateOneIter(handle, finished), 'BoosterUpdateOneIter');
    if (hasValid) {
      check(api.BoosterGetEval(handle, 1, evalLen, scores), 'BoosterGetEval');
      // The first metric is the one named in the parameters.
      const score = scores[0]!;
      validScores.push(score);
      if (higherIsBetter ? score > best : score < best) {
        best = score;
        bestIteration = i;
      }
    } else {
      bestIteration = i;
    }
    // is_finished = 1 means no further split is possible: more iterations would add nothing.
    if (finished[0] === 1) break;
    if (earlyStoppingRounds !== undefined && i - bestIteration >= earlyStoppingRounds) break;
  }
  const current = [0];
  check(api.BoosterGetCurrentIteration(handle, current), 'BoosterGetCurrentIteration');
  if (earlyStoppingRounds !== undefined) {
    // Drop the iterations after the best one, so predict and save use the best model.
    for (let k = current[0]!; k > bestIteration; k--) check(api.BoosterRollbackOneIter(handle), 'BoosterRollbackOneIter');
    return { bestIteration: Math.min(bestIteration, current[0]!), validScores };
  }
  // A finished (unsplittable) iteration adds no tree, so count what the model really holds.
  return { bestIteration: current[0]!, validScores };
}
