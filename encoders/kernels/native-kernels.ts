/**
 * Switches the wasm backend's matrix products and leading-axis sums to OpenBLAS (and its Slice,
 * SplitV, Unpack, Identity, Tanh, GatherV2 and Concat kernels to copy-avoiding or SIMD versions) and back.
 *
 * tfjs looks kernels up by (name, backend) on every call, so replacing the registry entries is
 * enough: every `tf.matMul`, dense layer, recurrent cell and their gradients then run natively.
 * When OpenBLAS or koffi is missing, only the library-free replacements are installed; on
 * another backend nothing is. Either way the result says why.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig } from '@tensorflow/tfjs';
import { expectInteger } from '../../options.js';
import { nativeBatchMatMul, nativeFusedMatMul, type NativeKernelCounters } from './mat-mul-kernels.js';
import { loadOpenBlas, type OpenBlas } from './openblas.js';
import { loadSgemm, type SgemmSource } from './simd-gemm-provider.js';
import { nativeSumKernel } from './sum-kernel.js';
import { asWasmHeapBackend } from './wasm-heap.js';
import { heapConcatKernel } from './wasm-concat.js';
import { heapGatherKernel } from './wasm-gather.js';
import { sharedIdentityKernel } from './wasm-identity.js';
import { heapSliceKernel, heapSplitVKernel, heapUnpackKernel } from './wasm-slice.js';
import { simdTanhKernel } from './wasm-tanh.js';

/** Options of {@link enableNativeKernels}. */
export interface NativeKernelOptions {
  /**
   * OpenBLAS worker threads (process-wide). Minimum: `1`. One thread was fastest for the
   * recurrent-encoder shapes on the 2-core reference machine (see docs/PERFORMANCE.md).
   * @defaultValue `1`
   */
  readonly threads?: number;
  /**
   * Path of the OpenBLAS shared library.
   * @defaultValue `MELES_OPENBLAS`, else the first existing Debian/Ubuntu path
   */
  readonly library?: string;
  /**
   * Which sgemm computes the products: `'auto'` is OpenBLAS when it loads, else the WebAssembly
   * SIMD kernel (simd-gemm.ts; `MELES_SIMD_GEMM=0` disables that fallback).
   * @defaultValue `'auto'`
   */
  readonly sgemm?: 'auto' | SgemmSource;
}

/** What {@link enableNativeKernels} did. */
export interface NativeKernelStatus {
  /** True when the native kernels are registered for the wasm backend. */
  readonly enabled: boolean;
  /** Why they are not, when `enabled` is false; why OpenBLAS is not used, when `sgemm` is `'wasm-simd'`. */
  readonly reason?: string;
  /** Which sgemm computes the products, when enabled. */
  readonly sgemm?: SgemmSource;
  /** The OpenBLAS library in use, when enabled with OpenBLAS. */
  readonly library?: string;
  /** The OpenBLAS CPU kernels in use (`openblas_get_corename()`), when enabled with OpenBLAS. */
  readonly core?: string;
  /** OpenBLAS threads, when enabled with OpenBLAS (the wasm SIMD sgemm uses one thread). */
  readonly threads?: number;
  /**
   * Names of all replaced wasm kernels: the OpenBLAS ones when enabled, plus the copy-avoiding heap
   * kernels, which need no library and are installed whenever the backend is wasm.
   */
  readonly kernels?: readonly string[];
}

/** Names of the kernels computed by OpenBLAS. */
export const NATIVE_KERNEL_NAMES: readonly string[] = [tf.BatchMatMul, tf._FusedMatMul, tf.Sum];
/** Names of the kernels replaced by copy-avoiding or SIMD versions (wasm-slice/-identity/-tanh/-gather/-concat.ts). */
export const HEAP_KERNEL_NAMES: readonly string[] = [tf.Slice, tf.SplitV, tf.Unpack, tf.Identity, tf.Tanh, tf.GatherV2, tf.Concat];

interface Active {
  readonly status: NativeKernelStatus;
  readonly stock: readonly KernelConfig[];
}

let active: Active | null = null;
let heapStock: readonly KernelConfig[] | null = null;
const counters: NativeKernelCounters = { native: 0, delegated: 0 };

/**
 * Replaces the wasm `BatchMatMul`, `_FusedMatMul` and (leading-axis) `Sum` kernels with OpenBLAS
 * ones (or, without OpenBLAS, ones on the wasm SIMD sgemm), after installing the library-free
 * replacements. Call it after `tf.setBackend('wasm')`
 * has resolved. Idempotent; never throws for a missing library or a non-wasm backend (it
 * returns `{enabled: false, reason}`), only for invalid options.
 */
export function enableNativeKernels(options: NativeKernelOptions = {}): NativeKernelStatus {
  const threads = expectInteger('threads', options.threads ?? 1, 1, 256);
  if (active !== null) return active.status;
  const backendName = tf.getBackend();
  if (backendName !== 'wasm') return { enabled: false, reason: `the active tfjs backend is '${backendName}', not 'wasm'` };
  if (asWasmHeapBackend(tf.backend()) === null) {
    return { enabled: false, reason: 'the wasm backend does not expose its heap (unexpected tfjs-backend-wasm version)' };
  }
  const heapKernels = installHeapKernels();
  const loaded = loadSgemm({ prefer: options.sgemm ?? 'auto', ...(options.library === undefined ? {} : { library: options.library }) });
  if (!loaded.ok) return { enabled: false, reason: loaded.reason, kernels: heapKernels };
  const { chosen } = loaded;
  const stock = NATIVE_KERNEL_NAMES.map((name) => tf.getKernel(name, 'wasm'));
  if (stock.some((config) => config === undefined)) {
    return { enabled: false, reason: 'the wasm backend has no stock BatchMatMul/_FusedMatMul/Sum kernel to replace', kernels: heapKernels };
  }
  const [batchMatMul, fusedMatMul, sum] = stock as KernelConfig[];
  if (chosen.source === 'openblas') chosen.blas.setThreads(threads);
  // Keep the stock setupFunc: if the backend is ever re-created it still prepares the stock
  // kernel, which the replacements call for inputs they do not handle.
  install([
    { ...batchMatMul, kernelFunc: nativeBatchMatMul(chosen, batchMatMul.kernelFunc, counters) },
    { ...fusedMatMul, kernelFunc: nativeFusedMatMul(chosen, fusedMatMul.kernelFunc, counters) },
    { ...sum, kernelFunc: nativeSumKernel(chosen, sum.kernelFunc, counters) },
  ]);
  const problem = selfCheck();
  if (problem !== null) {
    install([batchMatMul, fusedMatMul, sum]);
    return { enabled: false, reason: `${chosen.source} self-check failed (${problem}); kept the stock matMul kernels`, kernels: heapKernels };
  }
  const kernels = [...NATIVE_KERNEL_NAMES, ...heapKernels];
  const status: NativeKernelStatus =
    chosen.source === 'openblas'
      ? { enabled: true, sgemm: 'openblas', library: chosen.blas.library, core: chosen.blas.coreName, threads: chosen.blas.getThreads(), kernels }
      : { enabled: true, sgemm: 'wasm-simd', reason: chosen.openBlasReason, threads: 1, kernels };
  active = { status, stock: [batchMatMul, fusedMatMul, sum] };
  return status;
}

/** Restores every stock wasm kernel this module replaced. A no-op when none is replaced. */
export function disableNativeKernels(): void {
  if (active !== null) install(active.stock);
  active = null;
  if (heapStock !== null) install(heapStock);
  heapStock = null;
}

/**
 * Installs only the copy-avoiding `Slice`/`SplitV`/`Unpack`/`Identity`/`GatherV2`/`Concat` kernels and
 * the SIMD `Tanh` (no OpenBLAS needed).
 * {@link enableNativeKernels} does this too; call this alone to keep the stock matMul kernels.
 * Returns false (and changes nothing) when the active backend is not wasm.
 */
export function enableHeapKernels(): boolean {
  if (tf.getBackend() !== 'wasm' || asWasmHeapBackend(tf.backend()) === null) return false;
  return installHeapKernels().length > 0;
}

/** Installs the copy-avoiding kernels once; returns their names ([] if a stock one is missing). */
function installHeapKernels(): readonly string[] {
  if (heapStock !== null) return HEAP_KERNEL_NAMES;
  const stock = HEAP_KERNEL_NAMES.map((name) => tf.getKernel(name, 'wasm'));
  if (stock.some((config) => config === undefined)) return [];
  const [slice, splitV, unpack, identity, tanh, gather, concat] = stock as KernelConfig[];
  install([
    { ...slice, kernelFunc: heapSliceKernel(slice.kernelFunc) },
    { ...splitV, kernelFunc: heapSplitVKernel(splitV.kernelFunc) },
    { ...unpack, kernelFunc: heapUnpackKernel(unpack.kernelFunc) },
    { ...identity, kernelFunc: sharedIdentityKernel(identity.kernelFunc) },
    { ...tanh, kernelFunc: simdTanhKernel(tanh.kernelFunc) },
    { ...gather, kernelFunc: heapGatherKernel(gather.kernelFunc) },
    { ...concat, kernelFunc: heapConcatKernel(concat.kernelFunc) },
  ]);
  heapStock = [slice, splitV, unpack, identity, tanh, gather, concat];
  return HEAP_KERNEL_NAMES;
}

/** Whether the OpenBLAS kernels are currently registered. */
export function nativeKernelsEnabled(): boolean {
  return active !== null;
}

/** A snapshot of how many kernel calls ran natively and how many were handed to the stock kernels. */
export function nativeKernelCounters(): Readonly<NativeKernelCounters> {
  return { ...counters };
}

/** The loaded OpenBLAS, for benchmarks that call it directly; `null` when unavailable. */
export function openBlasOrNull(): OpenBlas | null {
  const loaded = loadOpenBlas();
  return loaded.ok ? loaded.blas : null;
}

function install(configs: readonly KernelConfig[]): void {
  for (const config of configs) {
    tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
  }
}

/** Multiplies a small known pair through the new kernel: catches an ABI or library mismatch. */
function selfCheck(): string | null {
  try {
    const result = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), tf.tensor2d([7, 8, 9, 10, 11, 12], [3, 2])).dataSync());
    const expected = [58, 64, 139, 154];
    return expected.every((value, i) => result[i] === value) ? null : `expected [${expected}], got [${Array.from(result)}]`;
  } catch (error) {
    return (error as Error).message;
  }
}
