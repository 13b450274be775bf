/**
 * One LightGBM fit of the evaluation protocol as a self-contained task: train on a fold's
 * training rows, predict its held-out rows and the test part, report the gain importance. The
 * task holds plain typed arrays only, so it can run in this thread or be posted to a worker
 * thread (`fold-fit-pool.ts`) with the same result.
 */
import { trainBooster, type LightGBMParams } from '../lightgbm/index.js';

/** Everything one fold's fit needs; every matrix is row-major with `cols` columns. */
export interface FoldFitTask {
  /** Booster parameters (already resolved for this fold, e.g. its capped leaf minimum). */
  readonly params: LightGBMParams;
  /** Boosting iterations. */
  readonly numIterations: number;
  /** Feature columns of every matrix. */
  readonly cols: number;
  /** Training rows. */
  readonly trainX: Float64Array;
  /** One label per training row. */
  readonly trainY: Int32Array;
  /** Held-out rows of the fold. */
  readonly heldX: Float64Array;
  /** The isolated test part (may be empty). */
  readonly testX: Float64Array;
}

/** What one fit returns. */
export interface FoldFitResult {
  /** Predictions for the held-out rows (P(class 1) per row, or rows × classes probabilities). */
  readonly heldPred: Float64Array;
  /** Predictions for the test part, in the same layout (empty without a test part). */
  readonly testPred: Float64Array;
  /** Total split gain per feature column. */
  readonly gain: Float64Array;
  /** Seconds spent fitting and predicting, in whichever thread ran it. */
  readonly seconds: number;
}

/** Runs one fit in the calling thread. The booster is freed before returning. */
export function fitFold(task: FoldFitTask): FoldFitResult {
  const started = performance.now();
  const { cols } = task;
  const { booster } = trainBooster(task.trainX, task.trainY.length, cols, task.trainY, task.params, { numIterations: task.numIterations });
  try {
    const gain = Float64Array.from(booster.featureImportance('gain'));
    const heldPred = booster.predict(task.heldX, task.heldX.length / cols, cols);
    const testRows = task.testX.length / cols;
    const testPred = testRows > 0 ? booster.predict(task.testX, testRows, cols) : new Float64Array(0);
    return { heldPred, testPred, gain, seconds: (performance.now() - started) / 1000 };
  } finally {
    booster.free();
  }
}

/**
 * The distinct plain `ArrayBuffer`s behind `arrays`, for a `postMessage` transfer list (a shared
 * buffer cannot be transferred, and listing one buffer twice is an error).
 */
export function transferList(arrays: readonly ArrayBufferView[]): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const a of arrays) if (a.buffer instanceof ArrayBuffer && !buffers.includes(a.buffer)) buffers.push(a.buffer);
  return buffers;
}
