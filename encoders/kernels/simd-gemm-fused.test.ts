/**
 * The fused GRU and LSTM tests and the native-kernel gradient tests again, with OpenBLAS switched
 * off, so they run on the wasm SIMD sgemm exactly as on a machine without libopenblas (each test
 * file is its own process, so the switch stays here).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

process.env.MELES_OPENBLAS = 'off';
delete process.env.MELES_SIMD_GEMM;
const { loadSgemm, simdSgemmForActiveBackend } = await import('./simd-gemm-provider.js');
await import('./fused-gru.test.js');
await import('./fused-lstm.test.js');
await import('./native-gradients.test.js');

test('those suites ran on the wasm SIMD sgemm: in place on the heap and through copies', async () => {
  await tf.setBackend('wasm');
  const loaded = loadSgemm();
  assert.ok(loaded.ok && loaded.chosen.source === 'wasm-simd', 'OpenBLAS is off, so the SIMD kernel is chosen');
  const { calls } = simdSgemmForActiveBackend();
  assert.ok(calls.inPlace > 0, `products on heap views ran in place (${calls.inPlace})`);
});
