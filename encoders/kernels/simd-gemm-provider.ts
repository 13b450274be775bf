/**
 * Chooses the `sgemm` behind the native matMul kernels and the fused recurrent ops: OpenBLAS when it
 * loads, else the WebAssembly SIMD kernel of simd-gemm.ts, so a fresh machine without
 * libopenblas still gets the fused GRU/LSTM and fast matrix products (issue 16).
 * `MELES_SIMD_GEMM=0` turns the fallback off (then only OpenBLAS counts, as before).
 */
import * as tf from '@tensorflow/tfjs';
import { loadOpenBlas, type OpenBlas, type Sgemm } from './openblas.js';
import { createSimdSgemm, type SimdSgemm, wasmHeapAccess } from './simd-gemm.js';
import type { WasmMemory } from './simd-gemm-module.js';

/** Where products come from. */
export const SGEMM_SOURCES = ['openblas', 'wasm-simd'] as const;
/** One of {@link SGEMM_SOURCES}. */
export type SgemmSource = (typeof SGEMM_SOURCES)[number];

/** The chosen implementation. */
export type ChosenSgemm =
  | { readonly source: 'openblas'; readonly sgemm: Sgemm; readonly blas: OpenBlas }
  | {
      readonly source: 'wasm-simd';
      readonly sgemm: Sgemm;
      readonly simd: SimdSgemm;
      /** Why OpenBLAS is not used (missing, disabled, or not asked for). */
      readonly openBlasReason: string;
    };

/** Result of {@link loadSgemm}. */
export type SgemmLoad = { readonly ok: true; readonly chosen: ChosenSgemm } | { readonly ok: false; readonly reason: string };

/** Options of {@link loadSgemm}. */
export interface LoadSgemmOptions {
  /**
   * Which implementation: `'auto'` is OpenBLAS when it loads, else wasm SIMD.
   * @defaultValue `'auto'`
   */
  readonly prefer?: 'auto' | SgemmSource;
  /**
   * OpenBLAS library path (see `loadOpenBlas`).
   * @defaultValue `MELES_OPENBLAS`, else the first existing Debian/Ubuntu path
   */
  readonly library?: string;
}

const onHeap = new WeakMap<WasmMemory, SimdSgemm>();
let ownMemoryOnly: SimdSgemm | null = null;

/**
 * The SIMD sgemm for the active tfjs backend: on wasm it works in place on the backend's heap
 * (its packing scratch is allocated there on first use, so call this before taking heap views);
 * elsewhere it copies through a memory of its own.
 */
export function simdSgemmForActiveBackend(): SimdSgemm {
  const heap = tf.getBackend() === 'wasm' ? wasmHeapAccess(tf.backend()) : null;
  if (heap === null) {
    ownMemoryOnly ??= createSimdSgemm(null);
    return ownMemoryOnly;
  }
  let simd = onHeap.get(heap.memory);
  if (simd === undefined) {
    simd = createSimdSgemm(heap);
    onHeap.set(heap.memory, simd);
  }
  return simd;
}

function simdDisabled(): string | null {
  const value = process.env.MELES_SIMD_GEMM;
  return value !== undefined && /^(0|off|false|none)$/i.test(value) ? value : null;
}

/**
 * OpenBLAS, else (unless `MELES_SIMD_GEMM=0`) the wasm SIMD kernel, or why neither can be used.
 * Never throws.
 */
export function loadSgemm(options: LoadSgemmOptions = {}): SgemmLoad {
  const prefer = options.prefer ?? 'auto';
  let openBlasReason = 'the wasm SIMD kernel was asked for';
  if (prefer !== 'wasm-simd') {
    const loaded = loadOpenBlas(options.library === undefined ? {} : { library: options.library });
    if (loaded.ok) return { ok: true, chosen: { source: 'openblas', sgemm: loaded.blas.sgemm, blas: loaded.blas } };
    if (prefer === 'openblas') return { ok: false, reason: loaded.reason };
    openBlasReason = loaded.reason;
    const disabled = simdDisabled();
    if (disabled !== null) return { ok: false, reason: `${openBlasReason}; the wasm SIMD fallback is disabled by MELES_SIMD_GEMM=${disabled}` };
  }
  try {
    const simd = simdSgemmForActiveBackend();
    return { ok: true, chosen: { source: 'wasm-simd', sgemm: simd.sgemm, simd, openBlasReason } };
  } catch (error) {
    return { ok: false, reason: `${openBlasReason}; the wasm SIMD kernel could not start: ${(error as Error).message}` };
  }
}
