/**
 * Building LightGBM Datasets from dense matrices. A Dataset is only needed while training, so
 * this module hands out a handle plus a `free` function and the trainer frees it in `finally`.
 */
import { ConfigError, ShapeError } from '../../errors.js';
import { checkMatrix, type FeatureMatrix } from './booster.js';
import { check, DTYPE_FLOAT32, DTYPE_FLOAT64, lgbm, type NativeHandle } from './native.js';
import type { ResolvedLightGBMParams } from './params.js';

/** A native Dataset handle with its release function. */
export interface NativeDataset {
  /** The handle to pass to the C API. */
  readonly handle: NativeHandle;
  /** Frees the Dataset; safe to call twice. */
  free(): void;
}

/** Checks labels against the objective: 0/1 for binary, 0..numClass-1 for multiclass, finite always. */
export function checkLabels(y: ArrayLike<number>, rows: number, params: ResolvedLightGBMParams): Float32Array {
  if (y.length !== rows) throw new ShapeError(`Expected ${rows} labels (one per row), got ${y.length}`);
  const labels = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = y[i]!;
    const ok =
      params.objective === 'regression'
        ? Number.isFinite(v)
        : Number.isInteger(v) && v >= 0 && v < (params.objective === 'binary' ? 2 : params.numClass);
    if (!ok) {
      const expected = params.objective === 'regression' ? 'a finite number' : params.objective === 'binary'
        ? '0 or 1' : `an integer in [0, ${params.numClass - 1}]`;
      throw new ConfigError(`Label ${i} must be ${expected} for objective \`${params.objective}\`, got \`${v}\``);
    }
    labels[i] = v;
  }
  return labels;
}

/**
 * Creates a Dataset from a row-major matrix and its labels. Pass the training Dataset as
 * `reference` for validation data, so both share the same feature bins (as LightGBM requires).
 */
export function createDataset(
  X: FeatureMatrix,
  rows: number,
  cols: number,
  labels: Float32Array,
  paramString: string,
  reference?: NativeDataset,
): NativeDataset {
  checkMatrix(X, rows, cols);
  const api = lgbm();
  const out: NativeHandle[] = [null];
  const dtype = X instanceof Float32Array ? DTYPE_FLOAT32 : DTYPE_FLOAT64;
  // LightGBM copies the matrix into its own binned storage, so X need not outlive this call.
  check(api.DatasetCreateFromMat(X, dtype, rows, cols, 1, paramString, reference?.handle ?? null, out), 'DatasetCreateFromMat');
  let handle: NativeHandle | null = out[0];
  const dataset: NativeDataset = {
    handle,
    free() {
      if (handle === null) return;
      const h = handle;
      handle = null;
      check(api.DatasetFree(h), 'DatasetFree');
    },
  };
  try {
    check(api.DatasetSetField(handle, 'label', labels, rows, DTYPE_FLOAT32), 'DatasetSetField(label)');
  } catch (error) {
    dataset.free();
    throw error;
  }
  return dataset;
}
