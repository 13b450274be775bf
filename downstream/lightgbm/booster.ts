/**
 * A trained LightGBM model: predict, save/load in LightGBM's own text format, feature
 * importance. Owns one native Booster handle; `free()` releases it (a FinalizationRegistry is
 * only a safety net for forgotten boosters, not the contract).
 */
import { ShapeError } from '../../errors.js';
import {
  check, DTYPE_FLOAT32, DTYPE_FLOAT64, IMPORTANCE_GAIN, IMPORTANCE_SPLIT, lgbm, LightGBMError, PREDICT_NORMAL,
  type NativeHandle,
} from './native.js';

/** A dense row-major feature matrix (NaN = missing value). */
export type FeatureMatrix = Float64Array | Float32Array;

/** How feature importance is counted: number of splits, or total gain of those splits. */
export type ImportanceKind = 'split' | 'gain';

const IMPORTANCE_CODE: Readonly<Record<ImportanceKind, number>> = { split: IMPORTANCE_SPLIT, gain: IMPORTANCE_GAIN };

const finalizer = new FinalizationRegistry<NativeHandle>((handle) => {
  lgbm().BoosterFree(handle);
});

/** Throws a {@link ShapeError} unless `X` holds exactly `rows × cols` values. */
export function checkMatrix(X: FeatureMatrix, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1 || X.length !== rows * cols) {
    throw new ShapeError(`Expected a ${rows} × ${cols} feature matrix (${rows * cols} values), got ${X.length} values`);
  }
}

/** A LightGBM booster. Create one with `trainBooster` or {@link Booster.loadFromString}. */
export class Booster {
  #handle: NativeHandle | null;
  /** Outputs per row: the number of classes for multiclass, else 1. */
  readonly numClasses: number;
  /** Number of input features the model expects. */
  readonly numFeatures: number;

  /** OpenMP threads used by {@link Booster.predict}. */
  readonly numThreads: number;

  /**
   * Wraps a native handle; the Booster becomes its only owner. @internal
   * @param numThreads - prediction threads. Passed on every predict call because LightGBM's
   *   default (all cores, spinning OpenMP workers) made a 200-row prediction take 20–36 ms on
   *   this shared 2-core machine instead of 0.02 ms.
   */
  constructor(handle: NativeHandle, numThreads = 1) {
    this.#handle = handle;
    this.numThreads = numThreads;
    const out = [0];
    check(lgbm().BoosterGetNumClasses(handle, out), 'BoosterGetNumClasses');
    this.numClasses = out[0]!;
    check(lgbm().BoosterGetNumFeature(handle, out), 'BoosterGetNumFeature');
    this.numFeatures = out[0]!;
    finalizer.register(this, handle, this);
  }

  /** Loads a model written by {@link Booster.saveToString} (or by any LightGBM 4 `save_model`). */
  static loadFromString(model: string, numThreads = 1): Booster {
    const iterations = [0];
    const out: NativeHandle[] = [null];
    check(lgbm().BoosterLoadModelFromString(model, iterations, out), 'BoosterLoadModelFromString');
    return new Booster(out[0], numThreads);
  }

  /** The native handle; throws once the booster was freed (a use-after-free would crash Node). */
  get handle(): NativeHandle {
    if (this.#handle === null) throw new LightGBMError('This LightGBM booster was already freed');
    return this.#handle;
  }

  /** Number of boosting iterations in the model. */
  get currentIteration(): number {
    const out = [0];
    check(lgbm().BoosterGetCurrentIteration(this.handle, out), 'BoosterGetCurrentIteration');
    return out[0]!;
  }

  /**
   * Predicts `rows` rows of the row-major matrix `X`: probabilities for classification
   * (multiclass: row-major `rows × numClasses`), values for regression.
   */
  predict(X: FeatureMatrix, rows: number, cols: number): Float64Array {
    checkMatrix(X, rows, cols);
    if (cols !== this.numFeatures) {
      throw new ShapeError(`The model expects ${this.numFeatures} features, got a matrix with ${cols} columns`);
    }
    const result = new Float64Array(rows * this.numClasses);
    const outLen = [0];
    const dtype = X instanceof Float32Array ? DTYPE_FLOAT32 : DTYPE_FLOAT64;
    check(
      lgbm().BoosterPredictForMat(this.handle, X, dtype, rows, cols, 1, PREDICT_NORMAL, 0, -1, `num_threads=${this.numThreads}`, outLen, result),
      'BoosterPredictForMat',
    );
    if (Number(outLen[0]) !== result.length) {
      throw new LightGBMError(`LightGBM returned ${outLen[0]} predictions, expected ${result.length}`);
    }
    return result;
  }

  /** The model in LightGBM's text format (the same as Python's `booster.model_to_string()`). */
  saveToString(): string {
    const api = lgbm();
    const outLen = [0];
    // First call learns the size, second call fills a buffer of exactly that size.
    check(api.BoosterSaveModelToString(this.handle, 0, -1, IMPORTANCE_SPLIT, 0, outLen, new Uint8Array(1)), 'BoosterSaveModelToString');
    const buffer = new Uint8Array(Number(outLen[0]));
    check(api.BoosterSaveModelToString(this.handle, 0, -1, IMPORTANCE_SPLIT, buffer.length, outLen, buffer), 'BoosterSaveModelToString');
    // The length includes the terminating NUL.
    return new TextDecoder().decode(buffer.subarray(0, buffer.length - 1));
  }

  /** One importance value per feature, summed over all iterations. */
  featureImportance(kind: ImportanceKind): Float64Array {
    const out = new Float64Array(this.numFeatures);
    check(lgbm().BoosterFeatureImportance(this.handle, -1, IMPORTANCE_CODE[kind], out), 'BoosterFeatureImportance');
    return out;
  }

  /** Releases the native model. Safe to call twice; any later use throws. */
  free(): void {
    if (this.#handle === null) return;
    const handle = this.#handle;
    this.#handle = null;
    finalizer.unregister(this);
    check(lgbm().BoosterFree(handle), 'BoosterFree');
  }
}
