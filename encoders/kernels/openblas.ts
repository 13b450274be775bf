/**
 * Loads the system OpenBLAS through koffi and exposes the few entry points meles calls.
 *
 * Nothing here throws on a machine without OpenBLAS or koffi: {@link loadOpenBlas} returns a
 * `{ok: false, reason}` result instead, so callers can fall back to the stock tfjs kernels.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chooseOpenBlasCore } from './openblas-core.js';

/** CBLAS enum values (cblas.h): row-major storage and the two transpose flags. */
export const CBLAS_ROW_MAJOR = 101;
/** CBLAS `CblasNoTrans`. */
export const CBLAS_NO_TRANS = 111;
/** CBLAS `CblasTrans`. */
export const CBLAS_TRANS = 112;

/**
 * `cblas_sgemm` for row-major float32 matrices: `C = alpha·op(A)·op(B) + beta·C`.
 * The arrays are passed to C by pointer, in place (koffi does not copy typed arrays), so views on
 * the wasm heap work: C reads and writes tfjs tensor memory directly.
 */
export type Sgemm = (
  order: number,
  transA: number,
  transB: number,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
) => void;

/** Anything that computes {@link Sgemm}: OpenBLAS, or the wasm SIMD fallback (simd-gemm-provider.ts). */
export interface SgemmProvider {
  /** Row-major single-precision matrix product. */
  readonly sgemm: Sgemm;
}

/** The loaded library. */
export interface OpenBlas extends SgemmProvider {
  /** Absolute path of the shared library that was loaded. */
  readonly library: string;
  /** `openblas_get_config()`: version, build flags and detected CPU core type. */
  readonly config: string;
  /** `openblas_get_corename()`: the CPU kernels in use, e.g. `SkylakeX` (see openblas-core.ts). */
  readonly coreName: string;
  /** Sets the OpenBLAS worker-thread count for all later calls (process-wide). */
  setThreads(count: number): void;
  /** The current OpenBLAS worker-thread count. */
  getThreads(): number;
}

/** Result of {@link loadOpenBlas}: the library, or why it could not be used. */
export type OpenBlasLoad = { readonly ok: true; readonly blas: OpenBlas } | { readonly ok: false; readonly reason: string };

/**
 * Where Debian/Ubuntu packages put the library, most specific first. `libopenblas0-pthread`,
 * `-openmp` and `-serial` each install under their own folder and register one of them as
 * `libopenblas.so.0` through update-alternatives.
 */
export const OPENBLAS_CANDIDATES: readonly string[] = [
  '/usr/lib/x86_64-linux-gnu/libopenblas.so.0',
  '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0',
  '/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0',
  '/usr/lib/x86_64-linux-gnu/openblas-serial/libopenblas.so.0',
  '/usr/lib/aarch64-linux-gnu/libopenblas.so.0',
  '/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0',
  '/usr/lib64/libopenblas.so.0',
  '/usr/lib/libopenblas.so.0',
  '/usr/local/lib/libopenblas.so.0',
  '/opt/homebrew/opt/openblas/lib/libopenblas.dylib',
  '/usr/local/opt/openblas/lib/libopenblas.dylib',
];

/** Options of {@link loadOpenBlas}. */
export interface LoadOpenBlasOptions {
  /**
   * Library path to try instead of the candidate list. `MELES_OPENBLAS` in the environment has
   * the same effect; `MELES_OPENBLAS=off` disables OpenBLAS (the native kernels then use the wasm
   * SIMD sgemm of simd-gemm-provider.ts, unless `MELES_SIMD_GEMM=0`).
   * @defaultValue the first existing path in {@link OPENBLAS_CANDIDATES}
   */
  readonly library?: string;
}

/** Only the part of koffi's API used here, so a missing or different koffi is detected cleanly. */
interface KoffiLike {
  load(path: string): { func(signature: string): (...args: unknown[]) => unknown };
}

const cache = new Map<string, OpenBlasLoad>();

/**
 * Loads OpenBLAS once per library path and returns it, or the reason it is unavailable
 * (koffi missing, no library found, a symbol missing, `MELES_OPENBLAS=off`). Never throws.
 */
export function loadOpenBlas(options: LoadOpenBlasOptions = {}): OpenBlasLoad {
  const fromEnv = process.env.MELES_OPENBLAS;
  if (options.library === undefined && fromEnv !== undefined && /^(off|0|false|none)$/i.test(fromEnv)) {
    return { ok: false, reason: `native kernels disabled by MELES_OPENBLAS=${fromEnv}` };
  }
  const requested = options.library ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined);
  const library = requested ?? OPENBLAS_CANDIDATES.find((path) => existsSync(path));
  if (library === undefined) {
    return {
      ok: false,
      reason: 'OpenBLAS not found (install it with `apt-get install -y libopenblas0-pthread` or set MELES_OPENBLAS to its path)',
    };
  }
  const cached = cache.get(library);
  if (cached !== undefined) return cached;
  const result = openLibrary(library);
  cache.set(library, result);
  return result;
}

function openLibrary(library: string): OpenBlasLoad {
  const koffi = requireKoffi();
  if (typeof koffi === 'string') return { ok: false, reason: koffi };
  try {
    // Before the load: OpenBLAS reads OPENBLAS_CORETYPE only while it initialises.
    chooseOpenBlasCore();
    const lib = koffi.load(library);
    const sgemm = lib.func(
      'void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, ' +
        'const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)',
    );
    const setThreads = lib.func('void openblas_set_num_threads(int count)');
    const getThreads = lib.func('int openblas_get_num_threads()');
    const getConfig = lib.func('const char *openblas_get_config()');
    const config = getConfig();
    const coreName = lib.func('const char *openblas_get_corename()')();
    const blas: OpenBlas = {
      library,
      config: typeof config === 'string' ? config : 'unknown',
      coreName: typeof coreName === 'string' ? coreName.trim() : 'unknown',
      sgemm: sgemm as Sgemm,
      setThreads: (count) => {
        setThreads(count);
      },
      getThreads: () => Number(getThreads()),
    };
    return { ok: true, blas };
  } catch (error) {
    return { ok: false, reason: `could not load OpenBLAS from ${library}: ${(error as Error).message}` };
  }
}

/** koffi is a regular dependency, but its prebuilt addon can be missing on an unusual platform. */
function requireKoffi(): KoffiLike | string {
  try {
    const loaded: unknown = createRequire(import.meta.url)('koffi');
    if (typeof loaded === 'object' && loaded !== null && 'load' in loaded && typeof loaded.load === 'function') {
      return loaded as KoffiLike;
    }
    return 'koffi did not export load()';
  } catch (error) {
    return `koffi is not available: ${(error as Error).message}`;
  }
}
