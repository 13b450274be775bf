/**
 * Batched matrix products on wasm-heap tensors through OpenBLAS `cblas_sgemm`, with the batch
 * broadcasting `tf.matMul` defines (numpy rules over all dimensions but the last two).
 */
import { broadcast_util, util, type TensorInfo } from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import { CBLAS_NO_TRANS, CBLAS_ROW_MAJOR, CBLAS_TRANS, type SgemmProvider } from './openblas.js';
import { memoryOffset, type WasmHeapBackend } from './wasm-heap.js';

/** Shapes of one (batched) matrix product `op(a)·op(b)`. */
export interface MatMulGeometry {
  /** Batch dimensions of the output: the broadcast of `a`'s and `b`'s batch dimensions. */
  readonly outBatchShape: number[];
  /** Batch dimensions of `a` (all dimensions but the last two). */
  readonly aBatchShape: number[];
  /** Batch dimensions of `b`. */
  readonly bBatchShape: number[];
  /** Rows of `op(a)` and of the output. */
  readonly m: number;
  /** Columns of `op(b)` and of the output. */
  readonly n: number;
  /** The shared inner dimension. */
  readonly k: number;
  /** Whether `a` is stored transposed (`[…, k, m]`). */
  readonly transposeA: boolean;
  /** Whether `b` is stored transposed (`[…, n, k]`). */
  readonly transposeB: boolean;
}

/** Works out and checks the geometry of `matMul(a, b, transposeA, transposeB)`. */
export function matMulGeometry(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean): MatMulGeometry {
  if (aShape.length < 2 || bShape.length < 2) {
    throw new ShapeError(`matMul needs rank >= 2 inputs, got shapes [${aShape}] and [${bShape}]`);
  }
  const aRank = aShape.length;
  const bRank = bShape.length;
  const m = transposeA ? aShape[aRank - 1] : aShape[aRank - 2];
  const kA = transposeA ? aShape[aRank - 2] : aShape[aRank - 1];
  const kB = transposeB ? bShape[bRank - 1] : bShape[bRank - 2];
  const n = transposeB ? bShape[bRank - 2] : bShape[bRank - 1];
  if (kA !== kB) {
    throw new ShapeError(
      `matMul inner dimensions differ: [${aShape}] (transposeA=${transposeA}) and [${bShape}] (transposeB=${transposeB}) give ${kA} vs ${kB}`,
    );
  }
  const aBatchShape = aShape.slice(0, -2);
  const bBatchShape = bShape.slice(0, -2);
  const outBatchShape = broadcast_util.assertAndGetBroadcastShape(aBatchShape, bBatchShape);
  return { outBatchShape, aBatchShape, bBatchShape, m, n, k: kA, transposeA, transposeB };
}

/**
 * For each output batch (row-major over `outBatchShape`), the index of the batch of an input with
 * `inShape` batch dimensions that numpy broadcasting pairs with it.
 */
export function broadcastBatchIndex(inShape: number[], outShape: number[]): Int32Array {
  const total = util.sizeFromShape(outShape);
  const index = new Int32Array(total);
  const offset = outShape.length - inShape.length;
  const inStrides = new Array<number>(inShape.length).fill(1);
  for (let d = inShape.length - 2; d >= 0; d--) inStrides[d] = inStrides[d + 1] * inShape[d + 1];
  const coord = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < total; i++) {
    let flat = 0;
    for (let d = 0; d < inShape.length; d++) {
      if (inShape[d] !== 1) flat += coord[d + offset] * inStrides[d];
    }
    index[i] = flat;
    for (let d = outShape.length - 1; d >= 0; d--) {
      if (++coord[d] < outShape[d]) break;
      coord[d] = 0;
    }
  }
  return index;
}

/**
 * Computes `out = op(a)·op(b) + beta·out` for every batch, reading and writing the tensors' wasm
 * heap memory in place. `out` must already be allocated with the output shape; with `beta = 1` it
 * must hold the addend (e.g. a broadcast bias). Must not allocate on the backend: the heap
 * offsets are read once.
 */
export function batchedSgemm(
  blas: SgemmProvider,
  backend: WasmHeapBackend,
  geometry: MatMulGeometry,
  a: TensorInfo,
  b: TensorInfo,
  out: TensorInfo,
  beta: 0 | 1,
): void {
  const { m, n, k, transposeA, transposeB, outBatchShape, aBatchShape, bBatchShape } = geometry;
  const batches = util.sizeFromShape(outBatchShape);
  if (batches === 0 || m === 0 || n === 0) return;
  const buffer = backend.wasm.HEAPU8.buffer;
  const outOffset = memoryOffset(backend, out);
  if (k === 0) {
    // BLAS rejects lda = 0; the empty sum is 0, so the result is just beta·out.
    if (beta === 0) new Float32Array(buffer, outOffset, batches * m * n).fill(0);
    return;
  }
  const aOffset = memoryOffset(backend, a);
  const bOffset = memoryOffset(backend, b);
  const tA = transposeA ? CBLAS_TRANS : CBLAS_NO_TRANS;
  const tB = transposeB ? CBLAS_TRANS : CBLAS_NO_TRANS;
  const lda = transposeA ? m : k;
  const ldb = transposeB ? k : n;
  if (!transposeA && util.sizeFromShape(bBatchShape) === 1) {
    // One shared right-hand matrix: the stacked rows of every batch of `a` form one tall matrix
    // whose product lands exactly in the output's layout, so one big call replaces `batches`
    // small ones (the usual [batch, time, features]·[features, units] case). Broadcasting a
    // batch-1 `b` cannot enlarge the batch, so `a` has exactly `batches` batches here.
    const rows = batches * m;
    blas.sgemm(
      CBLAS_ROW_MAJOR, tA, tB, rows, n, k, 1,
      new Float32Array(buffer, aOffset, rows * k), lda,
      new Float32Array(buffer, bOffset, k * n), ldb,
      beta, new Float32Array(buffer, outOffset, rows * n), n,
    );
    return;
  }
  const aIndex = broadcastBatchIndex(aBatchShape, outBatchShape);
  const bIndex = broadcastBatchIndex(bBatchShape, outBatchShape);
  const aSize = m * k;
  const bSize = k * n;
  const outSize = m * n;
  for (let i = 0; i < batches; i++) {
    blas.sgemm(
      CBLAS_ROW_MAJOR, tA, tB, m, n, k, 1,
      new Float32Array(buffer, aOffset + aIndex[i] * aSize * 4, aSize), lda,
      new Float32Array(buffer, bOffset + bIndex[i] * bSize * 4, bSize), ldb,
      beta, new Float32Array(buffer, outOffset + i * outSize * 4, outSize), n,
    );
  }
}
