/**
 * Replacement kernel functions for the wasm backend's `BatchMatMul` and `_FusedMatMul` that run
 * the product in OpenBLAS on the tensors' heap memory. Inputs they do not handle (non-float32,
 * a bias that needs the N-d output shape) go to the stock kernel unchanged, so behaviour never
 * narrows. Gradients need nothing here: tfjs differentiates both ops into more `BatchMatMul`s.
 */
import type { KernelFunc, NamedAttrMap } from '@tensorflow/tfjs';
import { util } from '@tensorflow/tfjs';
import { batchedSgemm, matMulGeometry } from './batched-gemm.js';
import { applyActivation, fillBias, matrixBroadcast, type FusedActivation } from './epilogue.js';
import type { SgemmProvider } from './openblas.js';
import { asWasmHeapBackend, f32View } from './wasm-heap.js';

/** How often each replacement ran natively or handed the call to the stock kernel. */
export interface NativeKernelCounters {
  /** Calls computed by OpenBLAS. */
  native: number;
  /** Calls passed to the stock wasm kernel (unsupported dtype, bias or activation). */
  delegated: number;
}

const FUSABLE: readonly FusedActivation[] = ['linear', 'relu', 'relu6', 'prelu', 'leakyrelu', 'sigmoid', 'elu'];

function flag(attrs: NamedAttrMap | undefined, name: string): boolean {
  return attrs?.[name] === true;
}

/** A `BatchMatMul` kernel computed by `blas`, falling back to `stock`. */
export function nativeBatchMatMul(blas: SgemmProvider, stock: KernelFunc, counters: NativeKernelCounters): KernelFunc {
  return (params) => {
    const backend = asWasmHeapBackend(params.backend);
    const { a, b } = params.inputs;
    if (backend === null || a === undefined || b === undefined || a.dtype !== 'float32' || b.dtype !== 'float32') {
      counters.delegated++;
      return stock(params);
    }
    const geometry = matMulGeometry(a.shape, b.shape, flag(params.attrs, 'transposeA'), flag(params.attrs, 'transposeB'));
    const out = backend.makeOutput([...geometry.outBatchShape, geometry.m, geometry.n], 'float32');
    batchedSgemm(blas, backend, geometry, a, b, out, 0);
    counters.native++;
    return out;
  };
}

/** A `_FusedMatMul` kernel (product + bias + activation) computed by `blas`, falling back to `stock`. */
export function nativeFusedMatMul(blas: SgemmProvider, stock: KernelFunc, counters: NativeKernelCounters): KernelFunc {
  return (params) => {
    const backend = asWasmHeapBackend(params.backend);
    const { a, b, bias, preluActivationWeights: preluWeights } = params.inputs;
    const activation = FUSABLE.find((name) => name === params.attrs?.activation);
    if (backend === null || a === undefined || b === undefined || activation === undefined) {
      counters.delegated++;
      return stock(params);
    }
    const geometry = matMulGeometry(a.shape, b.shape, flag(params.attrs, 'transposeA'), flag(params.attrs, 'transposeB'));
    const { m, n } = geometry;
    const biasShape = bias === undefined ? null : matrixBroadcast(bias.shape, m, n);
    const preluShape = activation === 'prelu' && preluWeights !== undefined ? matrixBroadcast(preluWeights.shape, m, n) : null;
    const unsupported =
      a.dtype !== 'float32' ||
      b.dtype !== 'float32' ||
      (bias !== undefined && (biasShape === null || bias.dtype !== 'float32')) ||
      (activation === 'prelu' && (preluShape === null || preluWeights?.dtype !== 'float32'));
    if (unsupported) {
      counters.delegated++;
      return stock(params);
    }
    const outShape = [...geometry.outBatchShape, m, n];
    const out = backend.makeOutput(outShape, 'float32');
    const total = util.sizeFromShape(outShape);
    // Views only after makeOutput: that allocation may have grown (and detached) the heap.
    if (bias !== undefined && biasShape !== null) {
      fillBias(f32View(backend, out, total), f32View(backend, bias, biasShape.rows * biasShape.cols), biasShape, m, n);
    }
    batchedSgemm(blas, backend, geometry, a, b, out, bias === undefined ? 0 : 1);
    const prelu =
      preluWeights !== undefined && preluShape !== null
        ? { weights: f32View(backend, preluWeights, preluShape.rows * preluShape.cols), shape: preluShape }
        : null;
    // 0 when absent, as the stock wasm kernel does (`leakyreluAlpha || 0`); tf.fused.matMul always sets it.
    const alpha = typeof params.attrs?.leakyreluAlpha === 'number' ? params.attrs.leakyreluAlpha : 0;
    applyActivation(f32View(backend, out, total), activation, alpha, prelu, m, n);
    counters.native++;
    return out;
  };
}
