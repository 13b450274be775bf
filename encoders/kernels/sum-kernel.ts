/**
 * `Sum` over leading axes as one OpenBLAS product with a ones vector: `out[1×N] = 1[1×M]·X[M×N]`.
 *
 * That is the reduction every bias gradient does (`dy [events, units]` summed over events). The
 * stock wasm kernel first transposes the input so the reduced axes are innermost, copying all of
 * it (a [35 540 × 768] bias gradient: ~100 ms per call here). Other reductions go to the stock
 * kernel unchanged. When the compiled helpers load (native-gates.ts) the sum is theirs instead,
 * accumulated in double: a bias or batch-norm gradient sums every event of the batch, and a float
 * accumulator (sgemm's) makes it depend on how rows are grouped, so one and two training threads
 * differed by up to 1.5e-5 of the largest gradient; in double they agree to float rounding.
 */
import { util, type KernelFunc } from '@tensorflow/tfjs';
import { nativeGates } from './native-gates.js';
import { CBLAS_NO_TRANS, CBLAS_ROW_MAJOR, type SgemmProvider } from './openblas.js';
import { asWasmHeapBackend, f32View } from './wasm-heap.js';
import type { NativeKernelCounters } from './mat-mul-kernels.js';

let ones = new Float32Array(0);

function onesOf(length: number): Float32Array {
  if (ones.length < length) ones = new Float32Array(Math.max(length, 2 * ones.length)).fill(1);
  return ones.subarray(0, length);
}

/** A `Sum` kernel that reduces leading axes of float32 tensors with `blas`, else calls `stock`. */
export function nativeSumKernel(blas: SgemmProvider, stock: KernelFunc, counters: NativeKernelCounters): KernelFunc {
  return (params) => {
    const backend = asWasmHeapBackend(params.backend);
    const x = params.inputs.x;
    const axisAttr = params.attrs?.axis;
    const keepDims = params.attrs?.keepDims === true;
    const axisList = typeof axisAttr === 'number' ? [axisAttr] : Array.isArray(axisAttr) ? axisAttr : null;
    if (backend === null || x === undefined || x.dtype !== 'float32' || axisList === null || !axisList.every((a) => typeof a === 'number')) {
      counters.delegated++;
      return stock(params);
    }
    const axes = [...new Set(util.parseAxisParam(axisList as number[], x.shape))].sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
    if (!leading) {
      counters.delegated++;
      return stock(params);
    }
    const m = util.sizeFromShape(x.shape.slice(0, axes.length));
    const n = util.sizeFromShape(x.shape.slice(axes.length));
    const outShape = keepDims ? x.shape.map((d, i) => (i < axes.length ? 1 : d)) : x.shape.slice(axes.length);
    const out = backend.makeOutput(outShape, 'float32');
    if (n > 0) {
      // Views after makeOutput: that allocation may have grown (and detached) the heap.
      const result = f32View(backend, out, n);
      const gates = nativeGates();
      if (m === 0) result.fill(0);
      else if (gates !== null) gates.columnSums(m, n, f32View(backend, x, m * n), result);
      else blas.sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, 1, n, m, 1, onesOf(m), m, f32View(backend, x, m * n), n, 0, result, n);
    }
    counters.native++;
    return out;
  };
}
