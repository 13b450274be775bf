/**
 * The raw LightGBM 4.1 C API, called through koffi. The npm package `lightgbm` compiles LightGBM
 * from source at install time; its addon `lightgbm_bindings.node` is an ordinary shared object
 * that exports every `LGBM_*` symbol, so we bind those directly instead of using its JS wrapper
 * (which exposes only a fraction of the API). Only this file knows about pointers and return codes.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import koffi from 'koffi';
import { MelesError } from '../../errors.js';

/** LightGBM reported a failure (its `LGBM_GetLastError` text is the message). */
export class LightGBMError extends MelesError {}

/** An opaque native handle (Dataset or Booster). */
export type NativeHandle = unknown;

/** C_API_DTYPE_FLOAT32 from `c_api.h`. */
export const DTYPE_FLOAT32 = 0;
/** C_API_DTYPE_FLOAT64 from `c_api.h`. */
export const DTYPE_FLOAT64 = 1;
/** C_API_PREDICT_NORMAL: predictions after the objective's transform (probabilities). */
export const PREDICT_NORMAL = 0;
/** C_API_FEATURE_IMPORTANCE_SPLIT: count of splits using a feature. */
export const IMPORTANCE_SPLIT = 0;
/** C_API_FEATURE_IMPORTANCE_GAIN: total gain of splits using a feature. */
export const IMPORTANCE_GAIN = 1;

function addonPath(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('lightgbm/package.json');
  return join(dirname(packageJson), 'build', 'Release', 'lightgbm_bindings.node');
}

function loadApi() {
  // The addon was linked against OpenMP without recording libgomp as a dependency (ldd does
  // not list it), so its GOMP_* symbols only resolve if libgomp is already loaded globally.
  let lib: ReturnType<typeof koffi.load>;
  // libgomp reads this when it loads. Its default lets idle OpenMP workers spin for a core; on a
  // shared machine they spin against other processes and 2 threads took 13× as long as 1 (73.6 vs
  // 5.9 s at load 15, scripts/bench-lightgbm.ts 2000 200 100); passive workers sleep instead (2
  // threads 4.8 s). Results do not depend on it. A user's own setting wins.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  try {
    koffi.load('libgomp.so.1', { global: true });
    lib = koffi.load(addonPath());
  } catch (error) {
    throw new LightGBMError(
      `Cannot load LightGBM (${(error as Error).message}). It needs the npm package \`lightgbm\` built at install ` +
        '(build/Release/lightgbm_bindings.node) and the OpenMP runtime libgomp.so.1 (Debian: libgomp1)',
      { cause: error },
    );
  }
  const Handle = koffi.pointer('LGBMHandle', koffi.opaque());
  return {
    GetLastError: lib.func('const char* LGBM_GetLastError()'),
    DatasetCreateFromMat: lib.func('LGBM_DatasetCreateFromMat', 'int', [
      'const void*', 'int', 'int32_t', 'int32_t', 'int', 'const char*', Handle, koffi.out(koffi.pointer(Handle)),
    ]),
    DatasetSetField: lib.func('int LGBM_DatasetSetField(LGBMHandle handle, const char* name, const void* data, int n, int type)'),
    DatasetFree: lib.func('int LGBM_DatasetFree(LGBMHandle handle)'),
    BoosterCreate: lib.func('LGBM_BoosterCreate', 'int', [Handle, 'const char*', koffi.out(koffi.pointer(Handle))]),
    BoosterLoadModelFromString: lib.func('LGBM_BoosterLoadModelFromString', 'int', [
      'const char*', koffi.out(koffi.pointer('int')), koffi.out(koffi.pointer(Handle)),
    ]),
    BoosterFree: lib.func('int LGBM_BoosterFree(LGBMHandle handle)'),
    BoosterAddValidData: lib.func('int LGBM_BoosterAddValidData(LGBMHandle handle, LGBMHandle valid)'),
    BoosterUpdateOneIter: lib.func('int LGBM_BoosterUpdateOneIter(LGBMHandle handle, _Out_ int* finished)'),
    BoosterRollbackOneIter: lib.func('int LGBM_BoosterRollbackOneIter(LGBMHandle handle)'),
    BoosterGetCurrentIteration: lib.func('int LGBM_BoosterGetCurrentIteration(LGBMHandle handle, _Out_ int* out)'),
    BoosterGetEvalCounts: lib.func('int LGBM_BoosterGetEvalCounts(LGBMHandle handle, _Out_ int* out)'),
    BoosterGetEval: lib.func('int LGBM_BoosterGetEval(LGBMHandle handle, int dataIdx, _Out_ int* outLen, _Out_ double* results)'),
    BoosterGetNumClasses: lib.func('int LGBM_BoosterGetNumClasses(LGBMHandle handle, _Out_ int* out)'),
    BoosterGetNumFeature: lib.func('int LGBM_BoosterGetNumFeature(LGBMHandle handle, _Out_ int* out)'),
    BoosterPredictForMat: lib.func(
      'int LGBM_BoosterPredictForMat(LGBMHandle handle, const void* data, int dataType, int32_t nrow, int32_t ncol, ' +
        'int rowMajor, int predictType, int startIteration, int numIteration, const char* parameter, ' +
        '_Out_ int64_t* outLen, _Out_ double* result)',
    ),
    BoosterSaveModelToString: lib.func(
      'int LGBM_BoosterSaveModelToString(LGBMHandle handle, int startIteration, int numIteration, int importanceType, ' +
        'int64_t bufferLen, _Out_ int64_t* outLen, _Out_ uint8_t* out)',
    ),
    BoosterFeatureImportance: lib.func(
      'int LGBM_BoosterFeatureImportance(LGBMHandle handle, int numIteration, int importanceType, _Out_ double* out)',
    ),
  };
}

let api: ReturnType<typeof loadApi> | undefined;

/** The bound C API, loaded on first use so importing this module costs nothing. */
export function lgbm(): ReturnType<typeof loadApi> {
  api ??= loadApi();
  return api;
}

/** Throws a {@link LightGBMError} with LightGBM's own message unless `rc` is 0. */
export function check(rc: number, what: string): void {
  if (rc !== 0) {
    const message = lgbm().GetLastError() as string | null;
    throw new LightGBMError(`LightGBM ${what} failed: ${message ?? 'unknown error'}`);
  }
}
