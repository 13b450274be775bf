import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, prepareWasm, runIn, seeded, useMode } from './kernel-test-utils.js';
import { asWasmHeapBackend } from './wasm-heap.js';
import { nativeKernelCounters } from './native-kernels.js';

const { available, reason } = await prepareWasm();
const skip = available ? false : `OpenBLAS native kernels unavailable here: ${reason}`;
if (!available) console.log(`# skipping native kernel tests: ${reason}`);

const TOL = 1e-5;

/** Runs `build` natively, on stock wasm and on cpu; checks the native result against both. */
async function compareAll(label: string, build: () => tf.Tensor[], modes: readonly ('stock' | 'cpu')[] = ['stock', 'cpu']): Promise<void> {
  const before = nativeKernelCounters().native;
  const native = await runIn('native', build);
  assert.ok(nativeKernelCounters().native > before, `${label}: the native kernel did not run`);
  for (const mode of modes) {
    const reference = await runIn(mode, build);
    native.forEach((values, i) => assertClose(values, reference[i], TOL, `${label} (output ${i}) vs ${mode}`));
  }
}

describe('native BatchMatMul', { skip }, () => {
  test('matches stock wasm and cpu across shapes and transposes', async () => {
    const shapes: [number, number, number][] = [[1, 1, 1], [3, 5, 4], [17, 33, 9], [64, 128, 96]];
    for (const [m, k, n] of shapes) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          await compareAll(`[${m},${k}]x[${k},${n}] tA=${transposeA} tB=${transposeB}`, () => [
            tf.matMul(seeded(transposeA ? [k, m] : [m, k], 1), seeded(transposeB ? [n, k] : [k, n], 2), transposeA, transposeB),
          ]);
        }
      }
    }
  });

  test('batched and broadcast batches match stock wasm and cpu', async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[4, 3, 5], [5, 2], false, false], // shared right-hand matrix: one folded sgemm
      [[4, 5, 3], [5, 2], true, false],
      [[4, 3, 5], [2, 5], false, true],
      [[5, 6], [4, 6, 3], false, false], // shared left-hand matrix
      [[6, 4, 3], [6, 5, 4], true, true],
      [[3, 2, 4, 5], [2, 5, 6], false, false], // trailing batch broadcast
      [[2, 3, 4, 5], [1, 1, 5, 2], false, false],
    ];
    for (const [aShape, bShape, tA, tB] of cases) {
      await compareAll(`[${aShape}]x[${bShape}] tA=${tA} tB=${tB}`, () => [tf.matMul(seeded(aShape, 3), seeded(bShape, 4), tA, tB)]);
    }
  });

  test('mutual batch broadcasting follows numpy rules (equals matMul of explicitly tiled inputs)', async () => {
    // Stock tfjs 4.22 kernels (cpu and wasm) return only max(batchA, batchB) batches here, so the
    // reference is the product of the inputs broadcast by hand, computed on cpu.
    const native = await runIn('native', () => [tf.matMul(seeded([2, 1, 3, 4], 5), seeded([1, 3, 4, 5], 6))]);
    const tiled = await runIn('cpu', () => [
      tf.matMul(tf.broadcastTo(seeded([2, 1, 3, 4], 5), [2, 3, 3, 4]), tf.broadcastTo(seeded([1, 3, 4, 5], 6), [2, 3, 4, 5])),
    ]);
    assertClose(native[0], tiled[0], TOL, 'mutual broadcast');
  });

  test('empty dimensions give empty or zero results', async () => {
    await useMode('native');
    tf.tidy(() => {
      assert.deepEqual(tf.matMul(tf.zeros([0, 3]), seeded([3, 4], 1)).shape, [0, 4]);
      const zeroInner = tf.matMul(tf.zeros([2, 0]), tf.zeros([0, 3]));
      assert.deepEqual(Array.from(zeroInner.dataSync()), [0, 0, 0, 0, 0, 0]);
    });
  });
});

describe('native _FusedMatMul', { skip }, () => {
  const m = 6;
  const k = 7;
  const n = 5;
  test('bias and every fusable activation match stock wasm and cpu', async () => {
    const activations = ['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu', 'prelu'] as const;
    for (const activation of activations) {
      for (const [transposeA, transposeB] of [[false, false], [true, true], [false, true]] as const) {
        // Stock wasm 4.22 adds the bias wrongly when either input is transposed (off by up to
        // 1.2 here, while cpu and native agree to 1e-7), so those cases compare with cpu only.
        const references = transposeA || transposeB ? (['cpu'] as const) : (['stock', 'cpu'] as const);
        await compareAll(`fused ${activation} tA=${transposeA} tB=${transposeB}`, () => [
          tf.fused.matMul({
            a: tf.mul(seeded(transposeA ? [k, m] : [m, k], 7), 4),
            b: seeded(transposeB ? [n, k] : [k, n], 8),
            transposeA,
            transposeB,
            bias: seeded([n], 9),
            activation,
            leakyreluAlpha: 0.1,
            preluActivationWeights: activation === 'prelu' ? seeded([n], 10) : undefined,
          }),
        ], references);
      }
    }
  });

  test('batched fused products without bias match stock wasm and cpu', async () => {
    for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true]] as const) {
      await compareAll(`fused batched tA=${transposeA} tB=${transposeB}`, () => [
        tf.fused.matMul({
          a: seeded(transposeA ? [3, k, m] : [3, m, k], 11),
          b: seeded(transposeB ? [3, n, k] : [3, k, n], 12),
          transposeA,
          transposeB,
          activation: 'relu',
        }),
      ]);
    }
  });

  test('rank-2 and scalar-like biases match cpu (stock wasm rejects them)', async () => {
    for (const biasShape of [[1, n], [m, n], [m, 1], [1]]) {
      await compareAll(
        `bias [${biasShape}]`,
        () => [tf.fused.matMul({ a: seeded([2, m, k], 13), b: seeded([k, n], 14), bias: seeded(biasShape, 15) })],
        ['cpu'],
      );
    }
  });

  test('a bias that needs the N-d output shape goes to the stock kernel', async () => {
    await useMode('native');
    const before = nativeKernelCounters().delegated;
    // The stock wasm kernel only takes rank-1 biases, so delegating reproduces its error exactly.
    assert.throws(
      () => tf.tidy(() => tf.fused.matMul({ a: seeded([2, m, k], 1), b: seeded([2, k, n], 2), bias: seeded([2, 1, n], 3) })),
      /rank-1 bias/,
    );
    assert.equal(nativeKernelCounters().delegated, before + 1);
  });
});

describe('native Sum over leading axes', { skip }, () => {
  test('matches stock wasm and cpu, with and without keepDims; other axes are delegated', async () => {
    const cases: [number[], number | number[], boolean][] = [
      [[37, 12], 0, false], // a bias gradient
      [[4, 5, 6], [0, 1], false],
      [[4, 5, 6], [1, 0], true],
      [[6, 3], -2, true],
    ];
    for (const [shape, axis, keepDims] of cases) {
      await compareAll(`sum [${shape}] axis ${JSON.stringify(axis)} keepDims=${keepDims}`, () => [tf.sum(seeded(shape, 30), axis, keepDims)]);
    }
    await useMode('native');
    const before = nativeKernelCounters().delegated;
    tf.tidy(() => tf.sum(seeded([4, 5], 1), 1).dataSync());
    assert.equal(nativeKernelCounters().delegated, before + 1, 'a reduction over the last axis should go to the stock kernel');
  });
});

describe('native kernels and the wasm heap', { skip }, () => {
  test('no tensor or heap allocation leaks', async () => {
    await useMode('native');
    const backend = tf.backend();
    const tensors = tf.memory().numTensors;
    const dataIds = backend.numDataIds();
    tf.tidy(() => {
      tf.matMul(seeded([5, 4, 3], 1), seeded([3, 2], 2)).dataSync();
      tf.fused.matMul({ a: seeded([4, 3], 1), b: seeded([3, 2], 2), bias: seeded([2], 3), activation: 'sigmoid' }).dataSync();
    });
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(backend.numDataIds(), dataIds);
  });

  test('results stay right when allocating the output grows (and detaches) the heap', async () => {
    await useMode('native');
    const heap = asWasmHeapBackend(tf.backend());
    assert.ok(heap !== null);
    const bytesBefore = heap.wasm.HEAPU8.buffer.byteLength;
    // An output larger than the whole current heap forces memory.grow inside makeOutput, after the
    // inputs' offsets were known: any view taken before the allocation would now be detached.
    const m = 4096;
    const n = Math.ceil(bytesBefore / 4 / m) + 64;
    const a = seeded([m, 2], 21);
    const b = seeded([2, n], 22);
    const bias = seeded([n], 23);
    const out = tf.fused.matMul({ a, b, bias });
    assert.ok(heap.wasm.HEAPU8.buffer.byteLength > bytesBefore, 'the heap did not grow; the test would prove nothing');
    const [av, bv, biasv, outv] = [a.dataSync(), b.dataSync(), bias.dataSync(), out.dataSync()];
    for (const [i, j] of [[0, 0], [m - 1, n - 1], [1234, 77], [m - 1, 0], [0, n - 1]]) {
      const expected = av[i * 2] * bv[j] + av[i * 2 + 1] * bv[n + j] + biasv[j];
      assert.ok(Math.abs(outv[i * n + j] - expected) <= 1e-5, `out[${i},${j}] = ${outv[i * n + j]}, expected ${expected}`);
    }
    tf.dispose([a, b, bias, out]);
  });
});
