/**
 * The logistic function over a scratch buffer, for the fused GRU's gates. Scalar JavaScript
 * (`Math.exp`) costs ~30 ns per value here, while the wasm backend's `Sigmoid` (xnnpack, SIMD)
 * costs ~1.5 ns, so on wasm the scratch buffers live on the wasm heap and the backend's own
 * kernel function is called on them directly (no tfjs op, no tape, no allocation per call).
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import { asWasmKernelBackend } from './wasm-heap.js';

/** `output[i] = σ(input[i])` for the first `count` values (an implementation may do all of them). */
export interface GateActivation {
  /** Where the caller writes pre-activations. */
  readonly input: Float32Array;
  /** Where {@link GateActivation.sigmoid} writes the results. */
  readonly output: Float32Array;
  /** Applies σ. */
  sigmoid(count: number): void;
  /** Frees the scratch memory. */
  dispose(): void;
}

/** Plain JavaScript: works on every backend. */
export function jsGateActivation(length: number): GateActivation {
  const input = new Float32Array(length);
  const output = new Float32Array(length);
  return {
    input,
    output,
    sigmoid(count: number): void {
      for (let i = 0; i < count; i++) output[i] = 1 / (1 + Math.exp(-input[i]));
    },
    dispose(): void {},
  };
}

/**
 * The wasm backend's SIMD `Sigmoid` on two heap scratch tensors of `length` values, or `null`
 * when `backend` is not wasm. The views stay valid only while nothing else allocates on the
 * backend: use them within one synchronous loop.
 */
export function wasmGateActivation(backend: unknown, length: number): GateActivation | null {
  const wasm = asWasmKernelBackend(backend);
  if (wasm === null || length === 0) return null;
  const run = wasm.wasm.cwrap('Sigmoid', null, ['number', 'number']);
  const scratch: TensorInfo[] = [wasm.makeOutput([length], 'float32'), wasm.makeOutput([length], 'float32')];
  const ids = scratch.map((t) => wasm.dataIdMap.get(t.dataId));
  if (ids[0] === undefined || ids[1] === undefined) throw new Error('wasm scratch tensors were not registered');
  const [inId, outId] = [ids[0].id, ids[1].id];
  // Views after both allocations: the second may have grown (and detached) the heap.
  const buffer = wasm.wasm.HEAPU8.buffer;
  const input = new Float32Array(buffer, ids[0].memoryOffset, length);
  const output = new Float32Array(buffer, ids[1].memoryOffset, length);
  return {
    input,
    output,
    sigmoid(): void {
      // The kernel works on whole registered tensors, so it always does all `length` values.
      run(inId, outId);
    },
    dispose(): void {
      for (const t of scratch) wasm.disposeData(t.dataId, true);
    },
  };
}
