import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { assertClose, seeded } from './kernel-test-utils.js';
import { disableNativeKernels, enableHeapKernels } from './native-kernels.js';

// initBackend also registers UnsortedSegmentSum on wasm, which the gather gradient needs.
await initBackend('wasm', { quiet: true });

type Mode = 'heap' | 'stock' | 'cpu';

async function run(mode: Mode, build: () => tf.Tensor): Promise<{ values: Float32Array; shape: number[] }> {
  disableNativeKernels();
  await tf.setBackend(mode === 'cpu' ? 'cpu' : 'wasm');
  if (mode === 'heap') assert.equal(enableHeapKernels(), true);
  const out = tf.tidy(build);
  const result = { values: Float32Array.from(out.dataSync()), shape: out.shape };
  out.dispose();
  disableNativeKernels();
  return result;
}

async function compare(label: string, build: () => tf.Tensor): Promise<void> {
  const heap = await run('heap', build);
  for (const mode of ['stock', 'cpu'] as const) {
    const reference = await run(mode, build);
    assert.deepEqual(heap.shape, reference.shape, `${label}: shape vs ${mode}`);
    assertClose(heap.values, reference.values, 0, `${label} vs ${mode}`);
  }
}

describe('heap GatherV2 on wasm', () => {
  test('gathers along every axis, with 1-d and 2-d indices, equal stock wasm and cpu exactly', async () => {
    const ids = (values: number[], shape?: number[]): tf.Tensor => tf.tensor(values, shape ?? [values.length], 'int32');
    await compare('embedding lookup', () => tf.gather(seeded([25, 16], 1), ids([3, 0, 24, 3, 7])));
    await compare('wide rows', () => tf.gather(seeded([40, 33], 2), ids([39, 1, 1, 0])));
    await compare('axis 1', () => tf.gather(seeded([3, 5, 4], 3), ids([4, 0, 2]), 1));
    await compare('last axis, 2-d indices', () => tf.gather(seeded([3, 5, 4], 4), ids([3, 0, 1, 1], [2, 2]), -1));
    await compare('int32 values', () => tf.gather(tf.range(0, 30, 1, 'int32').reshape([10, 3]), ids([9, 2])));
    await compare('empty indices', () => tf.gather(seeded([4, 3], 5), ids([])));
  });

  test('out-of-range indices fail with the stock message', async () => {
    disableNativeKernels();
    enableHeapKernels();
    assert.throws(() => tf.tidy(() => tf.gather(seeded([4, 2], 1), tf.tensor1d([1, 4], 'int32'))), /GatherV2: the index value 4 is not in \[0, 3\]/);
    disableNativeKernels();
  });

  test('embedding-lookup gradients are unchanged', async () => {
    const build = (): tf.Tensor => tf.grad((table: tf.Tensor) => tf.sum(tf.square(tf.gather(table, tf.tensor1d([1, 3, 1, 0], 'int32')))))(seeded([5, 3], 6));
    const heap = await run('heap', build);
    const cpu = await run('cpu', build);
    assertClose(heap.values, cpu.values, 1e-6, 'gather gradient');
  });
});
