/**
 * Fallback for the wasm backend without OpenBLAS: `BatchMatMul` with `transposeA`/`transposeB`
 * materialises the transpose first and runs the plain product. The stock wasm kernel's transposed
 * paths are about 10× slower than a transpose plus a plain product here (256×180×768:
 * 89–105 ms vs 9 ms; 17×36 000×768: 1.7 s vs 0.23 s), and autodiff computes every matMul gradient
 * with transpose flags, which made a GRU train step 42 s instead of a few. Not installed when the
 * OpenBLAS kernels are active (they handle the flags natively).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';

let installed = false;

/** Wraps the wasm `BatchMatMul` once; returns false when a needed stock kernel is missing. */
export function installTransposingMatMul(): boolean {
  if (installed) return true;
  const matMul = tf.getKernel(tf.BatchMatMul, 'wasm');
  const transpose = tf.getKernel(tf.Transpose, 'wasm');
  if (matMul === undefined || transpose === undefined) return false;
  const wrapped: KernelConfig = { ...matMul, kernelFunc: transposing(matMul.kernelFunc, transpose.kernelFunc) };
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel(wrapped);
  installed = true;
  return true;
}

function transposing(stock: KernelFunc, transpose: KernelFunc): KernelFunc {
  return (params) => {
    const { a, b } = params.inputs;
    const transposeA = params.attrs?.transposeA === true;
    const transposeB = params.attrs?.transposeB === true;
    if (a === undefined || b === undefined || (!transposeA && !transposeB)) return stock(params);
    const backend = params.backend as { disposeData(dataId: object): void };
    const swap = (x: TensorInfo): TensorInfo => {
      const rank = x.shape.length;
      const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
      return transpose({ inputs: { x }, attrs: { perm }, backend: params.backend }) as TensorInfo;
    };
    const at = transposeA ? swap(a) : a;
    const bt = transposeB ? swap(b) : b;
    try {
      return stock({ ...params, inputs: { a: at, b: bt }, attrs: { ...params.attrs, transposeA: false, transposeB: false } });
    } finally {
      // The transposed copies are kernel-internal: free them here, the engine never sees them.
      if (transposeA) backend.disposeData(at.dataId);
      if (transposeB) backend.disposeData(bt.dataId);
    }
  };
}
