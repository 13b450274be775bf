/**
 * What fused-gru.test.ts and fused-lstm.test.ts share: a fused whole-sequence op against its
 * plain-tfjs reference, from the same seeded inputs: loss value and all four input gradients on the
 * native wasm kernels and on cpu, with the compiled and with the TypeScript gate math; inference
 * without a recorded gradient; no leaked tensors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../data/random.js';
import { assertClose, prepareWasm, runIn, seeded, useMode, type KernelMode } from './kernel-test-utils.js';

/** Runs a recurrent layer over its four packed inputs: the fused op, or the plain-tfjs reference. */
export type LayerRun = (inputs: readonly tf.Tensor[], batchSizes: number[], keepOutputs: boolean) => tf.Tensor2D;

/** A recurrent layer under test. */
export interface RecurrentLayerUnderTest {
  /** The layer's name in test names, e.g. `GRU`. */
  readonly name: string;
  /** Names of the four inputs, for the gradients' failure messages. */
  readonly inputNames: readonly [string, string, string, string];
  /** Shapes of the four inputs for `events` packed events of `size` sequences and hidden size `H`. */
  inputShapes(events: number, size: number, H: number): number[][];
  /** Index of the recurrent weights among the inputs (scaled by 0.5 in the gradient checks). */
  readonly weightIndex: number;
  /** The fused op. */
  readonly fused: LayerRun;
  /** The reference: the same layer stepped with plain tfjs ops over the packed layout. */
  readonly plain: LayerRun;
}

/**
 * A recurrent cell stepped with plain tfjs ops over the packed layout, the reference of a fused op:
 * at step t the first `batchSizes[t]` rows of every state go through `step` with their rows of
 * `x`; the other rows (finished sequences) keep their values. Returns the first state after every
 * packed event (`keepOutputs`) or after the last step.
 */
export function plainPacked(
  x: tf.Tensor2D,
  initial: readonly tf.Tensor2D[],
  batchSizes: number[],
  keepOutputs: boolean,
  step: (xt: tf.Tensor2D, running: readonly tf.Tensor2D[]) => tf.Tensor2D[],
): tf.Tensor2D {
  const [size, H] = initial[0]!.shape;
  let states = initial;
  let row = 0;
  const outputs: tf.Tensor2D[] = [];
  for (const bs of batchSizes) {
    const running = states.map((state) => tf.slice(state, [0, 0], [bs, H]));
    const xt = tf.slice(x, [row, 0], [bs, x.shape[1]]);
    row += bs;
    const next = step(xt, running);
    outputs.push(next[0]!);
    states = states.map((state, k) => (bs < size ? tf.concat([next[k]!, tf.slice(state, [bs, 0], [size - bs, H])], 0) : next[k]!));
  }
  return keepOutputs ? tf.concat(outputs, 0) : states[0]!;
}

/**
 * Prepares the wasm backend and returns the `skip` option of the tests: false when the fused op
 * can run, else the reason (also logged).
 */
export async function skipUnlessFused(name: string, fusedAvailable: () => boolean): Promise<false | string> {
  const { available, reason } = await prepareWasm();
  const skip = available && fusedAvailable() ? false : `OpenBLAS unavailable here: ${reason}`;
  if (skip !== false) console.log(`# skipping fused ${name} tests: ${reason}`);
  return skip;
}

/** Running sequences per step of sequences with these lengths (sorted longest first). */
export function batchSizesOf(lengths: number[]): number[] {
  const sorted = [...lengths].sort((a, b) => b - a);
  return Array.from({ length: sorted[0] }, (_, t) => sorted.filter((l) => l > t).length);
}

/** The layer's four inputs from seeds `firstSeed`… , the recurrent weights times `weightScale` when given. */
function seededInputs(layer: RecurrentLayerUnderTest, shapes: number[][], firstSeed: number, weightScale: number | null): tf.Tensor[] {
  return shapes.map((shape, k) => {
    const input = seeded(shape, firstSeed + k);
    return weightScale !== null && k === layer.weightIndex ? tf.mul(input, weightScale) : input;
  });
}

/** Loss value and gradients for the four inputs, with `run` (the fused op or the plain reference). */
function valueAndGrads(layer: RecurrentLayerUnderTest, run: LayerRun, lengths: number[], H: number, keepOutputs: boolean): () => tf.Tensor[] {
  return () => {
    const batchSizes = batchSizesOf(lengths);
    const events = batchSizes.reduce((s, b) => s + b, 0);
    const size = lengths.length;
    const inputs = seededInputs(layer, layer.inputShapes(events, size, H), 1, 0.5);
    const weights = seeded(keepOutputs ? [events, H] : [size, H], 5);
    const f = (...args: tf.Tensor[]): tf.Scalar => tf.sum(tf.mul(run(args, batchSizes, keepOutputs), weights));
    const { value, grads } = tf.valueAndGrads(f)(inputs);
    return [value, ...grads];
  };
}

async function compare(layer: RecurrentLayerUnderTest, lengths: number[], H: number, keepOutputs: boolean): Promise<void> {
  const label = `lengths [${lengths}] H=${H} keepOutputs=${keepOutputs}`;
  const reference = await runIn('cpu', valueAndGrads(layer, layer.plain, lengths, H, keepOutputs));
  const names = ['loss', ...layer.inputNames.map((name) => `d ${name}`)];
  for (const mode of ['native', 'cpu'] as KernelMode[]) {
    // The compiled C gate math (when it loads) and the TypeScript loops with a SIMD σ.
    for (const gates of ['compiled', 'typescript']) {
      if (gates === 'typescript') process.env.MELES_NATIVE_GATES = '0';
      try {
        const fused = await runIn(mode, valueAndGrads(layer, layer.fused, lengths, H, keepOutputs));
        fused.forEach((v, i) => assertClose(v, reference[i]!, 1e-5, `${label} ${names[i]} (fused on ${mode}, ${gates} gate math)`));
      } finally {
        delete process.env.MELES_NATIVE_GATES;
      }
    }
  }
}

/**
 * Registers the tests every fused layer passes: values and gradients equal the plain reference
 * within 1e-5 (unequal lengths, per-event outputs, random lengths from `Rng(randomSeed)`), and
 * inference agrees without recording and leaks nothing (after gradient runs with each of
 * `leakChecks` as keepOutputs).
 */
export function fusedLayerTests(layer: RecurrentLayerUnderTest, randomSeed: number, leakChecks: readonly boolean[]): void {
  test(`final states and all gradients equal a plain tfjs ${layer.name} within 1e-5 (unequal lengths)`, async () => {
    await compare(layer, [5, 5, 3, 2, 2, 1], 8, false);
    await compare(layer, [1], 4, false);
  });

  test(`per-event outputs (stacked layers) and their gradients equal the plain ${layer.name}`, async () => {
    await compare(layer, [4, 3, 3, 1], 6, true);
  });

  test('random lengths at a larger size', async () => {
    const rng = new Rng(randomSeed);
    await compare(layer, Array.from({ length: 24 }, () => rng.int(1, 30)), 32, false);
  });

  test('inference gives the same values without recording, and nothing leaks', async () => {
    await useMode('native');
    const lengths = [6, 4, 4, 2];
    const batchSizes = batchSizesOf(lengths);
    const H = 5;
    const tensors = tf.memory().numTensors;
    const [fused, plain] = tf.tidy(() => {
      const inputs = seededInputs(layer, layer.inputShapes(16, 4, H), 7, null);
      return [layer.fused(inputs, batchSizes, false).dataSync(), layer.plain(inputs, batchSizes, false).dataSync()];
    });
    assertClose(Float32Array.from(fused), Float32Array.from(plain), 1e-5, 'inference');
    for (const keepOutputs of leakChecks) tf.dispose(tf.tidy(valueAndGrads(layer, layer.fused, lengths, H, keepOutputs)));
    assert.equal(tf.memory().numTensors, tensors);
  });
}
