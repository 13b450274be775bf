/**
 * Access to the memory behind tensors of the tfjs wasm backend.
 *
 * Every wasm tensor lives at `memoryOffset` in the module's linear memory. The memory can grow
 * during any allocation (`makeOutput`, a reshape, another kernel), and growing detaches the old
 * `ArrayBuffer`, so views are never cached: {@link f32View} re-reads `HEAPU8.buffer` each call,
 * and kernels take their views only after their last allocation.
 */
import type { DataId, DataType, TensorInfo } from '@tensorflow/tfjs';

/** What the native kernels need from `BackendWasm` (typed structurally, see {@link asWasmHeapBackend}). */
export interface WasmHeapBackend {
  /** The Emscripten module; `HEAPU8` is replaced by a new view whenever the memory grows. */
  readonly wasm: { readonly HEAPU8: Uint8Array };
  /** Tensor bookkeeping: where each tensor's bytes start. */
  readonly dataIdMap: { get(dataId: DataId): { readonly memoryOffset: number } | undefined };
  /** Allocates an output tensor on the heap (may grow the memory). */
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
}

/**
 * Returns `backend` typed as a {@link WasmHeapBackend} when it has the members used here, else
 * `null`. Structural rather than `instanceof BackendWasm`, because the package can be loaded twice
 * (ESM and CJS copies) and each copy has its own class.
 */
export function asWasmHeapBackend(backend: unknown): WasmHeapBackend | null {
  if (typeof backend !== 'object' || backend === null) return null;
  if (!('wasm' in backend) || !('dataIdMap' in backend) || !('makeOutput' in backend)) return null;
  const { wasm, dataIdMap, makeOutput } = backend;
  if (typeof wasm !== 'object' || wasm === null || !('HEAPU8' in wasm) || !(wasm.HEAPU8 instanceof Uint8Array)) return null;
  if (typeof dataIdMap !== 'object' || dataIdMap === null || !('get' in dataIdMap)) return null;
  if (typeof makeOutput !== 'function') return null;
  return backend as WasmHeapBackend;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function memoryOffset(backend: WasmHeapBackend, tensor: TensorInfo): number {
  const data = backend.dataIdMap.get(tensor.dataId);
  if (data === undefined) throw new Error(`Tensor ${JSON.stringify(tensor.dataId)} is not on the wasm backend`);
  return data.memoryOffset;
}

/**
 * A float32 view of `length` elements of `tensor`, starting `start` elements in, on the current
 * heap buffer. Valid only until the next allocation on the backend.
 */
export function f32View(backend: WasmHeapBackend, tensor: TensorInfo, length: number, start = 0): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer, memoryOffset(backend, tensor) + start * 4, length);
}

/** The backend members needed to call the wasm module's own kernel functions on heap tensors. */
export interface WasmKernelBackend extends WasmHeapBackend {
  readonly wasm: WasmHeapBackend['wasm'] & { cwrap(name: string, ret: null, args: string[]): (...args: number[]) => void };
  readonly dataIdMap: { get(dataId: DataId): { readonly memoryOffset: number; readonly id: number } | undefined };
  disposeData(dataId: DataId, force?: boolean): boolean;
}

/** `backend` as a {@link WasmKernelBackend}, or `null` when it is not the wasm backend. */
export function asWasmKernelBackend(backend: unknown): WasmKernelBackend | null {
  const heap = asWasmHeapBackend(backend);
  if (heap === null || !('disposeData' in heap) || !('cwrap' in heap.wasm) || typeof heap.wasm.cwrap !== 'function') return null;
  return heap as WasmKernelBackend;
}

/** The wasm module's id of a tensor (what its C++ kernels take). */
export function wasmTensorId(backend: WasmKernelBackend, tensor: TensorInfo): number {
  const data = backend.dataIdMap.get(tensor.dataId);
  if (data === undefined) throw new Error(`Tensor ${JSON.stringify(tensor.dataId)} is not on the wasm backend`);
  return data.id;
}
