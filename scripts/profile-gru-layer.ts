/**
 * Time of one GRU layer (input projection + recurrence) over a packed batch at the reference
 * shapes, forward + backward and forward only: the plain-tfjs packed recurrence of
 * encoders/packed-recurrence.ts vs the fused whole-sequence op of encoders/kernels/fused-gru.ts.
 *
 *   npx tsx scripts/profile-gru-layer.ts [--hidden 256] [--size 320] [--min-len 25] [--max-len 200] [--reps 5]
 *
 * Both run on wasm with the native kernels enabled (the fused op needs OpenBLAS).
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../data/random.js';
import { initBackend } from '../encoders/backend.js';
import { fusedPackedGru } from '../encoders/kernels/fused-gru.js';
import { enableNativeKernels } from '../encoders/kernels/native-kernels.js';
import { packBatch } from '../encoders/packed-batch.js';
import { runPackedRecurrence } from '../encoders/packed-recurrence.js';
import { ParameterStore } from '../encoders/parameters.js';
import { GruCell } from '../encoders/recurrent-cells.js';
import { expectInteger } from '../options.js';

const INPUT = 17;

function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median ms of each variant, run alternately so that load from other processes hits both alike. */
function timeInterleaved(reps: number, runs: readonly (() => void)[]): number[] {
  for (const run of runs) run(); // warm-up
  const times = runs.map((): number[] => []);
  for (let i = 0; i < reps; i++) {
    runs.forEach((run, v) => {
      const start = performance.now();
      run();
      times[v].push(performance.now() - start);
    });
  }
  return times.map(median);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      hidden: { type: 'string', default: '256' },
      size: { type: 'string', default: '320' },
      'min-len': { type: 'string', default: '25' },
      'max-len': { type: 'string', default: '200' },
      reps: { type: 'string', default: '5' },
    },
  });
  const H = expectInteger('hidden', Number(values.hidden), 1);
  const size = expectInteger('size', Number(values.size), 1);
  const minLength = expectInteger('min-len', Number(values['min-len']), 1);
  const maxLength = expectInteger('max-len', Number(values['max-len']), minLength);
  const reps = expectInteger('reps', Number(values.reps), 1);
  await initBackend('wasm', { quiet: true });
  const status = enableNativeKernels();
  if (!status.enabled) throw new Error(`native kernels unavailable: ${status.reason}`);

  const rng = new Rng(5);
  const lengths = Int32Array.from({ length: size }, () => rng.int(minLength, maxLength));
  const stride = Math.max(...lengths);
  const packed = packBatch({ size, maxLength: stride, lengths, categorical: {}, numeric: { v: new Float32Array(size * stride) } }, [], ['v']);
  const store = new ParameterStore();
  const cell = new GruCell(store, 'gru', INPUT, H, false, rng);
  const [wx, bx, wh, bh] = store.all().map((p) => p.variable);
  const input = tf.randomNormal([packed.events, INPUT], 0, 1, 'float32', 1) as tf.Tensor2D;
  const weights = tf.randomNormal([size, H], 0, 1, 'float32', 2);

  // MELES_FUSED_GRU=0 makes GruCell use its step loop even with native kernels active.
  const plain = (): tf.Tensor2D => {
    process.env.MELES_FUSED_GRU = '0';
    try {
      return runPackedRecurrence(cell, input, packed, 'final');
    } finally {
      delete process.env.MELES_FUSED_GRU;
    }
  };
  const fused = (): tf.Tensor2D =>
    fusedPackedGru({
      projected: tf.fused.matMul({ a: input, b: wx as tf.Tensor2D, bias: bx }) as tf.Tensor2D,
      initial: tf.zeros([size, H]),
      wh: wh as tf.Tensor2D,
      bh: bh as tf.Tensor1D,
      batchSizes: packed.batchSizes,
      keepOutputs: false,
    });
  const train = (layer: () => tf.Tensor2D) => (): void => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer(), weights)), [wx, bx, wh, bh]);
    tf.dispose([value, ...Object.values(grads)]);
  };
  const infer = (layer: () => tf.Tensor2D) => (): void => {
    tf.tidy(layer).dispose();
  };
  console.log(`GRU layer: ${size} sequences, lengths ${minLength}–${maxLength} (${packed.events} events, ${packed.steps} steps), input ${INPUT}, hidden ${H}; median of ${reps}, variants interleaved`);
  const trainMs = timeInterleaved(reps, [train(plain), train(fused)]);
  const inferMs = timeInterleaved(reps, [infer(plain), infer(fused)]);
  console.log('| variant | forward + backward ms | forward only ms |');
  console.log('|---|---|---|');
  ['plain tfjs ops (native kernels)', 'fused whole-sequence op'].forEach((name, v) => {
    console.log(`| ${name} | ${trainMs[v].toFixed(0)} | ${inferMs[v].toFixed(0)} |`);
  });
  tf.dispose([input, weights]);
  store.dispose();
}

await main();
