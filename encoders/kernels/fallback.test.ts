import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { ConfigError } from '../../errors.js';
import { disableNativeKernels, enableNativeKernels, nativeKernelsEnabled } from './native-kernels.js';
import { loadOpenBlas } from './openblas.js';

// These run on every machine, with or without OpenBLAS: the accelerator must fail soft.
describe('native kernels fall back cleanly', () => {
  test('a missing library is a reason, not an exception', () => {
    const result = loadOpenBlas({ library: '/nonexistent/libopenblas.so.0' });
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /could not load OpenBLAS from \/nonexistent\/libopenblas\.so\.0/);
  });

  test('MELES_OPENBLAS=off disables the library', () => {
    const saved = process.env.MELES_OPENBLAS;
    process.env.MELES_OPENBLAS = 'off';
    try {
      const result = loadOpenBlas();
      assert.equal(result.ok, false);
      assert.match(result.ok ? '' : result.reason, /disabled by MELES_OPENBLAS=off/);
    } finally {
      if (saved === undefined) delete process.env.MELES_OPENBLAS;
      else process.env.MELES_OPENBLAS = saved;
    }
  });

  test('on the cpu backend enabling is a no-op with a reason', async () => {
    await tf.setBackend('cpu');
    const status = enableNativeKernels();
    assert.equal(status.enabled, false);
    assert.match(status.reason ?? '', /active tfjs backend is 'cpu', not 'wasm'/);
    assert.equal(nativeKernelsEnabled(), false);
  });

  test('on wasm without the library the wasm SIMD sgemm takes over, and matMul still works', async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    const stock = tf.getKernel(tf.BatchMatMul, 'wasm');
    const status = enableNativeKernels({ library: '/nonexistent/libopenblas.so.0' });
    assert.equal(status.enabled, true);
    assert.equal(status.sgemm, 'wasm-simd');
    assert.match(status.reason ?? '', /could not load OpenBLAS/);
    assert.notEqual(tf.getKernel(tf.BatchMatMul, 'wasm'), stock);
    const product = tf.tidy(() => Array.from(tf.matMul(tf.tensor2d([1, 2], [1, 2]), tf.tensor2d([3, 4], [2, 1])).dataSync()));
    assert.deepEqual(product, [11]);
    disableNativeKernels();
    assert.equal(tf.getKernel(tf.BatchMatMul, 'wasm'), stock);
  });

  test('with MELES_SIMD_GEMM=0 and no library the stock kernels stay registered and matMul still works', async () => {
    await tf.setBackend('wasm');
    const saved = process.env.MELES_SIMD_GEMM;
    process.env.MELES_SIMD_GEMM = '0';
    try {
      const stock = tf.getKernel(tf.BatchMatMul, 'wasm');
      const status = enableNativeKernels({ library: '/nonexistent/libopenblas.so.0' });
      assert.equal(status.enabled, false);
      assert.match(status.reason ?? '', /could not load OpenBLAS.*disabled by MELES_SIMD_GEMM=0/);
      assert.equal(tf.getKernel(tf.BatchMatMul, 'wasm'), stock);
      const product = tf.tidy(() => Array.from(tf.matMul(tf.tensor2d([1, 2], [1, 2]), tf.tensor2d([3, 4], [2, 1])).dataSync()));
      assert.deepEqual(product, [11]);
    } finally {
      if (saved === undefined) delete process.env.MELES_SIMD_GEMM;
      else process.env.MELES_SIMD_GEMM = saved;
    }
  });

  test('disabling restores the exact stock kernels', async () => {
    await tf.setBackend('wasm');
    const stock = tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc;
    const status = enableNativeKernels();
    if (status.enabled) assert.notEqual(tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc, stock);
    disableNativeKernels();
    assert.equal(tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc, stock);
    assert.equal(nativeKernelsEnabled(), false);
  });

  test('invalid options are rejected with a readable message', () => {
    assert.throws(() => enableNativeKernels({ threads: 0 }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /Expected `threads` to be an integer in \[1, 256\], got `0` \(number\)/);
      return true;
    });
  });
});
