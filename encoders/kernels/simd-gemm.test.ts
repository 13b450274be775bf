import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { Rng } from '../../data/random.js';
import { CBLAS_NO_TRANS, CBLAS_ROW_MAJOR, CBLAS_TRANS } from './openblas.js';
import { createSimdSgemm, GEMM_KC, GEMM_MC, wasmHeapAccess } from './simd-gemm.js';
import { GEMM_MR, GEMM_NR } from './simd-gemm-module.js';
import { asWasmHeapBackend, f32View } from './wasm-heap.js';

interface Case {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly alpha: number;
  readonly beta: number;
  /** Extra floats per stored row beyond the minimum (strided lda/ldb/ldc). */
  readonly pad: number;
}

/** Values in [-1, 1); with `dyadic` multiples of 1/8, so products and sums are exact in float32. */
function values(count: number, seed: number, dyadic: boolean): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: count }, () => {
    const v = rng.next() * 2 - 1;
    return dyadic ? Math.round(v * 8) / 8 : v;
  });
}

/** The product as the plain triple loop in float64, and Σ|alpha·a·b| + |beta·c| per element (the error scale). */
function naive(c: Case, a: Float32Array, lda: number, b: Float32Array, ldb: number, cIn: Float32Array, ldc: number): { value: Float64Array; scale: Float64Array } {
  const value = Float64Array.from(cIn);
  const scale = new Float64Array(cIn.length);
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) {
      let sum = 0;
      let abs = 0;
      for (let p = 0; p < c.k; p++) {
        const term = (c.transA ? a[p * lda + i] : a[i * lda + p]) * (c.transB ? b[j * ldb + p] : b[p * ldb + j]);
        sum += term;
        abs += Math.abs(term);
      }
      const old = cIn[i * ldc + j];
      value[i * ldc + j] = c.alpha * sum + (c.beta === 0 ? 0 : c.beta * old);
      scale[i * ldc + j] = Math.abs(c.alpha) * abs + (c.beta === 0 ? 0 : Math.abs(c.beta * old));
    }
  }
  return { value, scale };
}

function operands(c: Case, dyadic: boolean, seed: number) {
  const lda = (c.transA ? c.m : c.k) + c.pad;
  const ldb = (c.transB ? c.k : c.n) + c.pad;
  const ldc = c.n + c.pad;
  const a = values((c.transA ? c.k : c.m) * lda, seed, dyadic);
  const b = values((c.transB ? c.n : c.k) * ldb, seed + 1, dyadic);
  const out = values(c.m * ldc, seed + 2, dyadic);
  return { a, b, out, lda, ldb, ldc };
}

/** Runs one case through `sgemm` and checks every element of C, the padding included (untouched). */
function check(sgemm: ReturnType<typeof createSimdSgemm>['sgemm'], c: Case, dyadic: boolean, seed: number): void {
  const { a, b, out, lda, ldb, ldc } = operands(c, dyadic, seed);
  if (c.beta === 0) out.fill(Number.NaN, 0, c.n); // beta = 0 must not read C (BLAS semantics)
  const expected = naive(c, a, lda, b, ldb, out, ldc);
  sgemm(CBLAS_ROW_MAJOR, c.transA ? CBLAS_TRANS : CBLAS_NO_TRANS, c.transB ? CBLAS_TRANS : CBLAS_NO_TRANS, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, out, ldc);
  for (let idx = 0; idx < out.length; idx++) {
    const want = expected.value[idx];
    const error = Math.abs(out[idx] - want);
    // Relative to the element's magnitude (and to Σ|terms|, the usual GEMM rounding bound).
    const tolerance = 1e-5 * Math.max(1, Math.abs(want), expected.scale[idx]);
    if (!(error <= tolerance) && !(Number.isNaN(want) && Number.isNaN(out[idx]))) {
      assert.fail(`${JSON.stringify(c)}: C[${Math.floor(idx / ldc)}][${idx % ldc}] is ${out[idx]}, expected ${want}`);
    }
  }
}

const odd: Array<[number, number, number]> = [
  [1, 1, 1],
  [7, 13, 5],
  [GEMM_MR, GEMM_NR, 1],
  [GEMM_MR + 1, GEMM_NR + 3, 9],
  [3, 2 * GEMM_NR, 17],
];

describe('SIMD sgemm (wasm, own memory) equals the plain triple loop', () => {
  const { sgemm } = createSimdSgemm();
  for (const [m, n, k] of odd) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        test(`${m}×${n}×${k} transA=${transA} transB=${transB}: alpha/beta combinations, strided and dense`, () => {
          let seed = 10;
          for (const [alpha, beta] of [[1, 0], [1, 1], [0.5, -2], [-1.5, 0.25]]) {
            for (const pad of [0, 3]) check(sgemm, { m, n, k, transA, transB, alpha, beta, pad }, true, seed++);
          }
        });
      }
    }
  }

  test('blocks: shapes crossing the MC, KC and NR block edges, random data', () => {
    const [m, n, k] = [GEMM_MC + 5, 2 * GEMM_NR + 3, GEMM_KC + 7];
    let seed = 100;
    for (const transA of [false, true]) {
      for (const transB of [false, true]) check(sgemm, { m, n, k, transA, transB, alpha: 0.75, beta: 0.5, pad: 1 }, false, seed++);
    }
  });

  test('k = 0 or alpha = 0 scales C by beta; m = 0 or n = 0 does nothing', () => {
    const c = Float32Array.from([1, 2, 3, 4]);
    sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, 2, 2, 0, 1, new Float32Array(0), 1, new Float32Array(0), 2, 3, c, 2);
    assert.deepEqual(Array.from(c), [3, 6, 9, 12]);
    sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, 2, 2, 1, 0, Float32Array.from([1, 1]), 1, Float32Array.from([1, 1]), 2, 0, c, 2);
    assert.deepEqual(Array.from(c), [0, 0, 0, 0]);
    sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, 0, 2, 1, 1, new Float32Array(0), 1, Float32Array.from([1, 1]), 2, 0, c, 2);
    assert.deepEqual(Array.from(c), [0, 0, 0, 0]);
  });

  test('bad arguments are clear errors, not out-of-bounds reads', () => {
    const x = new Float32Array(4);
    assert.throws(() => sgemm(102, CBLAS_NO_TRANS, CBLAS_NO_TRANS, 2, 2, 2, 1, x, 2, x, 2, 0, x, 2), /only row-major order/);
    assert.throws(() => sgemm(CBLAS_ROW_MAJOR, 5, CBLAS_NO_TRANS, 2, 2, 2, 1, x, 2, x, 2, 0, x, 2), /transA must be/);
    assert.throws(() => sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, 2, 2, 3, 1, x, 3, x, 2, 0, x, 2), /a has 4 floats, the product reads 6/);
    assert.throws(() => sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, 2, 2, 2, 1, x, 1, x, 2, 0, x, 2), /lda = 1 is smaller than the 2 stored columns/);
  });
});

describe('SIMD sgemm on the tfjs wasm heap', () => {
  test('tensor memory is used in place (no copies) with the same result; JS arrays still work', async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    const backend = asWasmHeapBackend(tf.backend());
    const heap = wasmHeapAccess(tf.backend());
    assert.ok(backend !== null && heap !== null, 'the wasm backend exposes its memory and malloc');
    const simd = createSimdSgemm(heap);
    assert.equal(simd.inPlaceOnHeap, true);
    const before = tf.memory().numTensors;
    const [m, n, k] = [GEMM_MR * 3 + 1, GEMM_NR * 5 + 2, 37];
    const a = tf.tensor2d(values(m * k, 1, false), [m, k]);
    const b = tf.tensor2d(values(n * k, 2, false), [n, k]);
    const c = tf.tensor2d(values(m * n, 3, false), [m, n]);
    const expected = tf.tidy(() => tf.add(tf.mul(tf.matMul(a, b, false, true), 2), tf.mul(c, 0.5)));
    simd.sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS, m, n, k, 2, f32View(backend, a, m * k), k, f32View(backend, b, n * k), k, 0.5, f32View(backend, c, m * n), n);
    assert.deepEqual(simd.calls, { inPlace: 1, copied: 0 });
    const got = c.dataSync();
    const want = expected.dataSync();
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])), `element ${i}: ${got[i]} vs ${want[i]}`);
    const plain = new Float32Array(m * n);
    simd.sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS, m, n, k, 1, a.dataSync() as Float32Array, k, f32View(backend, b, n * k), k, 0, plain, n);
    assert.equal(simd.calls.copied, 1);
    tf.dispose([a, b, c, expected]);
    assert.equal(tf.memory().numTensors, before);
  });
});
