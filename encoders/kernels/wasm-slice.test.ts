import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { assertClose, seeded } from './kernel-test-utils.js';
import { disableNativeKernels, enableNativeKernels, HEAP_KERNEL_NAMES } from './native-kernels.js';
import { asWasmHeapBackend } from './wasm-heap.js';

// The heap-view slicing kernels need no OpenBLAS, so these tests run on every machine.
await tf.setBackend('wasm');
await tf.ready();

type Mode = 'heap' | 'stock' | 'cpu';

async function run(mode: Mode, build: () => tf.Tensor[]): Promise<{ values: Float32Array[]; shapes: number[][] }> {
  disableNativeKernels();
  await tf.setBackend(mode === 'cpu' ? 'cpu' : 'wasm');
  if (mode === 'heap') assert.deepEqual(enableNativeKernels().kernels?.filter((k) => HEAP_KERNEL_NAMES.includes(k)), [...HEAP_KERNEL_NAMES]);
  const outputs = tf.tidy(build);
  const result = { values: outputs.map((t) => Float32Array.from(t.dataSync())), shapes: outputs.map((t) => t.shape) };
  tf.dispose(outputs);
  return result;
}

async function compare(label: string, build: () => tf.Tensor[]): Promise<void> {
  const heap = await run('heap', build);
  for (const mode of ['stock', 'cpu'] as const) {
    const reference = await run(mode, build);
    assert.deepEqual(heap.shapes, reference.shapes, `${label}: shapes vs ${mode}`);
    heap.values.forEach((v, i) => assertClose(v, reference.values[i], 0, `${label} output ${i} vs ${mode}`));
  }
}

describe('heap-view Slice, SplitV and Unpack on wasm', () => {
  test('slices of every rank, contiguous or not, equal stock wasm and cpu exactly', async () => {
    const cases: [number[], number[], number[]][] = [
      [[7], [2], [4]],
      [[6, 5], [1, 0], [3, 5]], // whole rows: contiguous
      [[6, 5], [1, 2], [4, 2]],
      [[4, 5, 6], [1, 0, 2], [2, 5, 3]],
      [[4, 5, 6], [0, 1, 0], [4, 3, 6]], // trailing whole dims merge into one run
      [[3, 4, 5, 6], [1, 1, 1, 1], [2, 2, 3, 4]],
      [[2, 3, 4, 5, 6], [1, 0, 1, 2, 0], [1, 3, 2, 3, 6]],
      [[6, 5], [2, 1], [0, 3]], // empty
    ];
    for (const [shape, begin, size] of cases) {
      await compare(`slice [${shape}] at [${begin}] size [${size}]`, () => [tf.slice(seeded(shape, 1), begin, size)]);
    }
  });

  test('int32 and bool slices equal stock wasm', async () => {
    await compare('int32', () => [tf.slice(tf.range(0, 60, 1, 'int32').reshape([3, 4, 5]), [1, 1, 1], [2, 2, 3])]);
    await compare('bool', () => [tf.slice(tf.greater(seeded([4, 6], 2), 0), [1, 2], [3, 3])]);
  });

  test('split and unstack along every axis equal stock wasm and cpu', async () => {
    const x = (): tf.Tensor => seeded([5, 6, 7], 3);
    await compare('split axis 0 uneven', () => tf.split(x(), [1, 3, 1], 0));
    await compare('split axis 1', () => tf.split(x(), 3, 1));
    await compare('split axis 2 with -1', () => tf.split(x(), [2, -1, 1], 2));
    await compare('split packed-GRU style', () => tf.split(seeded([60, 8], 4), [20, 15, 12, 8, 5], 0));
    for (const axis of [0, 1, 2, -1]) await compare(`unstack axis ${axis}`, () => tf.unstack(x(), axis));
  });

  test('strings still go through the stock kernel', async () => {
    disableNativeKernels();
    await tf.setBackend('wasm');
    enableNativeKernels();
    const sliced = tf.slice(tf.tensor1d(['a', 'b', 'c', 'd'], 'string'), [1], [2]);
    assert.deepEqual(sliced.arraySync(), ['b', 'c']);
    sliced.dispose();
  });

  test('gradients through split and slice are unchanged', async () => {
    const build = (): tf.Tensor[] => {
      const w = seeded([6, 4], 5);
      return tf.grads((v: tf.Tensor) => {
        const [a, b] = tf.split(v, [2, 4], 0);
        return tf.sum(tf.mul(tf.slice(b, [1, 1], [2, 2]), 3)).add(tf.sum(tf.square(a)));
      })([w]);
    };
    await compare('gradients', build);
  });

  test('a slice whose output allocation grows the heap is still right, and nothing leaks', async () => {
    disableNativeKernels();
    await tf.setBackend('wasm');
    enableNativeKernels();
    const heap = asWasmHeapBackend(tf.backend());
    assert.ok(heap !== null);
    const tensors = tf.memory().numTensors;
    const rows = Math.ceil(heap.wasm.HEAPU8.buffer.byteLength / 4 / 64) + 1024;
    const x = tf.tidy(() => tf.range(0, rows * 64, 1, 'float32').reshape([rows, 64]));
    const before = heap.wasm.HEAPU8.buffer.byteLength;
    const y = tf.slice(x, [1, 1], [rows - 1, 63]);
    assert.ok(heap.wasm.HEAPU8.buffer.byteLength > before, 'the heap did not grow; the test would prove nothing');
    const values = y.dataSync();
    for (const [i, j] of [[0, 0], [rows - 2, 62], [777, 31]]) assert.equal(values[i * 63 + j], (i + 1) * 64 + (j + 1));
    tf.dispose([x, y]);
    assert.equal(tf.memory().numTensors, tensors);
  });
});
