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
    await onGrowingHeap(64, (x, rows) => tf.slice(x, [1, 1], [rows - 1, 63]), (values, rows) => {
      for (const [i, j] of [[0, 0], [rows - 2, 62], [777, 31]]) assert.equal(values[i * 63 + j], (i + 1) * 64 + (j + 1));
    });
  });
});

describe('heap Concat on wasm', () => {
  test('concats along every axis, rows short and long, equal stock wasm and cpu exactly', async () => {
    await compare('event-encoder style axis 1', () => [tf.concat([seeded([50, 16], 1), seeded([50, 16], 2), seeded([50, 1], 3)], 1)]);
    await compare('long rows axis 1', () => [tf.concat([seeded([7, 70], 4), seeded([7, 3], 5), seeded([7, 130], 6)], 1)]);
    await compare('axis 0', () => [tf.concat([seeded([3, 5], 7), seeded([4, 5], 8)], 0)]);
    const x = (seed: number, middle: number): tf.Tensor => seeded([4, middle, 6], seed);
    await compare('rank 3 axis 1', () => [tf.concat([x(9, 2), x(10, 3), x(11, 1)], 1)]);
    await compare('rank 3 axis -1', () => [tf.concat([seeded([4, 3, 2], 12), seeded([4, 3, 5], 13)], -1)]);
    await compare('with an empty input', () => [tf.concat([seeded([4, 0], 14), seeded([4, 3], 15), seeded([4, 2], 16)], 1)]);
    await compare('one non-empty input', () => [tf.concat([seeded([4, 0], 17), seeded([4, 3], 18)], 1)]);
  });

  test('int32 and bool concats equal stock wasm', async () => {
    await compare('int32', () => [tf.concat([tf.range(0, 12, 1, 'int32').reshape([4, 3]), tf.range(20, 28, 1, 'int32').reshape([4, 2])], 1)]);
    await compare('bool', () => [tf.concat([tf.greater(seeded([3, 4], 19), 0), tf.greater(seeded([3, 2], 20), 0)], 1)]);
  });

  test('gradients through concat are unchanged', async () => {
    const build = (): tf.Tensor[] => {
      const a = seeded([5, 3], 21);
      const b = seeded([5, 2], 22);
      return tf.grads((u: tf.Tensor, v: tf.Tensor) => tf.sum(tf.square(tf.mul(tf.concat([u, v, u], 1), seeded([5, 8], 23)))))([a, b]);
    };
    await compare('gradients', build);
  });

  test('a concat whose output allocation grows the heap is still right, and nothing leaks', async () => {
    await onGrowingHeap(32, (x) => tf.concat([x, x], 1), (values, rows) => {
      for (const [i, j] of [[0, 0], [rows - 1, 63], [777, 40]]) assert.equal(values[i * 64 + j], i * 32 + (j % 32));
    });
  });
});

/**
 * Runs `op` on a `rows × width` range tensor (0, 1, 2, …) large enough that allocating the output
 * grows the wasm heap (the kernels' heap views go stale then), checks that it did grow, hands the
 * output values to `check`, and checks that no tensor leaked.
 */
async function onGrowingHeap(width: number, op: (x: tf.Tensor, rows: number) => tf.Tensor, check: (values: Float32Array, rows: number) => void): Promise<void> {
  disableNativeKernels();
  await tf.setBackend('wasm');
  enableNativeKernels();
  const heap = asWasmHeapBackend(tf.backend());
  assert.ok(heap !== null);
  const tensors = tf.memory().numTensors;
  const rows = Math.ceil(heap.wasm.HEAPU8.buffer.byteLength / 4 / 64) + 1024;
  const x = tf.tidy(() => tf.range(0, rows * width, 1, 'float32').reshape([rows, width]));
  const before = heap.wasm.HEAPU8.buffer.byteLength;
  const y = op(x, rows);
  assert.ok(heap.wasm.HEAPU8.buffer.byteLength > before, 'the heap did not grow; the test would prove nothing');
  check(y.dataSync() as Float32Array, rows);
  tf.dispose([x, y]);
  assert.equal(tf.memory().numTensors, tensors);
}
