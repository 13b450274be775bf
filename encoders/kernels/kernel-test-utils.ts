/**
 * Helpers shared by the native-kernel tests: run the same computation on the native kernels, the
 * stock wasm kernels and the cpu backend, from the same seeded inputs, and compare.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { Rng } from '../../data/random.js';
import { disableNativeKernels, enableNativeKernels } from './native-kernels.js';

/** Where a computation runs. */
export type KernelMode = 'native' | 'stock' | 'cpu';

/** Initialises the wasm backend and reports whether native kernels can be enabled (and why not). */
export async function prepareWasm(): Promise<{ available: boolean; reason: string }> {
  await tf.setBackend('wasm');
  await tf.ready();
  const status = enableNativeKernels();
  disableNativeKernels();
  return { available: status.enabled, reason: status.reason ?? '' };
}

/** Switches the active backend and kernel set to `mode`. */
export async function useMode(mode: KernelMode): Promise<void> {
  if (mode === 'cpu') {
    await tf.setBackend('cpu');
    return;
  }
  await tf.setBackend('wasm');
  if (mode === 'stock') {
    disableNativeKernels();
    return;
  }
  const status = enableNativeKernels();
  if (!status.enabled) throw new Error(`native kernels unavailable: ${status.reason}`);
}

/** Runs `build` under `mode` inside a tidy and returns copies of its outputs' values. */
export async function runIn(mode: KernelMode, build: () => tf.Tensor[]): Promise<Float32Array[]> {
  await useMode(mode);
  const outputs = tf.tidy(build);
  const values = outputs.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(outputs);
  return values;
}

/** `count` seeded values in [-1, 1). */
export function uniform(count: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.next() * 2 - 1;
  return out;
}

/** A seeded tensor of `shape` on the active backend. */
export function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(uniform(shape.reduce((p, d) => p * d, 1), seed), shape);
}

/** Asserts elementwise `|actual - expected| <= tolerance · max(1, |expected|)`. */
export function assertClose(actual: Float32Array, expected: Float32Array, tolerance: number, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const error = Math.abs(actual[i] - expected[i]);
    if (!(error <= tolerance * Math.max(1, Math.abs(expected[i])))) {
      assert.fail(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]} (tolerance ${tolerance})`);
    }
  }
}
