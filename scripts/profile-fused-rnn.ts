/**
 * Where a fused recurrent layer's time goes at equal work (every sequence the same length): the
 * fused GRU / LSTM op forward + backward (input projection included) against the OpenBLAS products
 * alone that it must do (the same sgemm calls on plain arrays). The difference is everything
 * that is not a matrix product: gate math, σ calls, tape writes, heap traffic, JavaScript.
 * Wall and CPU time (process user + system) are both printed: on a shared machine the CPU time
 * is the steadier of the two.
 *
 *   npx tsx scripts/profile-fused-rnn.ts [--cell gru|lstm] [--length 100] [--size 320] [--hidden 256] [--reps 3]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../encoders/backend.js';
import { fusedPackedGru } from '../encoders/kernels/fused-gru.js';
import { fusedPackedLstm } from '../encoders/kernels/fused-lstm.js';
import { loadNativeGates } from '../encoders/kernels/native-gates.js';
import { enableNativeKernels } from '../encoders/kernels/native-kernels.js';
import { CBLAS_NO_TRANS, CBLAS_ROW_MAJOR, CBLAS_TRANS, loadOpenBlas, type OpenBlas } from '../encoders/kernels/openblas.js';
import { expectInteger } from '../options.js';

const INPUT = 17;

interface Timing {
  readonly wallMs: number;
  readonly cpuMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median wall and CPU time of `run` after one warm-up. */
function time(reps: number, run: () => void): Timing {
  run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    run();
    const c = process.cpuUsage(c0);
    wall.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

/** The products a fused layer does: per step h·Wh and dA·Whᵀ, then one hPrevᵀ·dA over all events. */
function productsOnly(blas: OpenBlas, size: number, steps: number, H: number, G: number): () => void {
  const events = size * steps;
  const wh = new Float32Array(H * G).fill(0.01);
  const h = new Float32Array(size * H).fill(0.1);
  const a = new Float32Array(size * G);
  const dA = new Float32Array(events * G).fill(0.01);
  const hPrev = new Float32Array(events * H).fill(0.1);
  const dwh = new Float32Array(H * G);
  return () => {
    for (let t = 0; t < steps; t++) blas.sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, size, G, H, 1, h, H, wh, G, 1, a, G);
    for (let t = 0; t < steps; t++) blas.sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS, size, H, G, 1, dA.subarray(t * size * G), G, wh, G, 0, h, H);
    blas.sgemm(CBLAS_ROW_MAJOR, CBLAS_TRANS, CBLAS_NO_TRANS, H, G, events, 1, hPrev, H, dA, G, 0, dwh, G);
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cell: { type: 'string', default: 'gru' },
      length: { type: 'string', default: '100' },
      size: { type: 'string', default: '320' },
      hidden: { type: 'string', default: '256' },
      reps: { type: 'string', default: '3' },
    },
  });
  const cell = values.cell;
  if (cell !== 'gru' && cell !== 'lstm') throw new Error(`Expected \`--cell\` to be gru or lstm, got \`${cell}\``);
  const L = expectInteger('length', Number(values.length), 1);
  const size = expectInteger('size', Number(values.size), 1);
  const H = expectInteger('hidden', Number(values.hidden), 1);
  const reps = expectInteger('reps', Number(values.reps), 1);
  await initBackend('wasm', { quiet: true });
  const status = enableNativeKernels();
  const loaded = loadOpenBlas();
  if (!status.enabled || !loaded.ok) throw new Error(`native kernels unavailable: ${status.reason ?? ''}`);
  const G = (cell === 'gru' ? 3 : 4) * H;
  const events = size * L;
  const batchSizes = Array.from({ length: L }, () => size);
  const wx = tf.variable(tf.randomUniform([INPUT, G], -0.2, 0.2, 'float32', 1));
  const bx = tf.variable(tf.randomUniform([G], -0.1, 0.1, 'float32', 2));
  const wh = tf.variable(tf.randomUniform([H, G], -1 / Math.sqrt(H), 1 / Math.sqrt(H), 'float32', 3));
  const bh = tf.variable(tf.randomUniform([G], -0.1, 0.1, 'float32', 4));
  const input = tf.randomNormal([events, INPUT], 0, 1, 'float32', 5) as tf.Tensor2D;
  const weights = tf.randomNormal([size, H], 0, 1, 'float32', 6);
  const layer = (): tf.Tensor2D => {
    const projected = tf.fused.matMul({ a: input, b: wx as tf.Tensor2D, bias: bx }) as tf.Tensor2D;
    const zeros = tf.zeros([size, H]) as tf.Tensor2D;
    return cell === 'gru'
      ? fusedPackedGru({ projected, initial: zeros, wh: wh as tf.Tensor2D, bh: bh as tf.Tensor1D, batchSizes, keepOutputs: false })
      : fusedPackedLstm({ projected, initialH: zeros, initialC: zeros, wh: wh as tf.Tensor2D, batchSizes, keepOutputs: false });
  };
  const variables = cell === 'gru' ? [wx, bx, wh, bh] : [wx, bx, wh];
  const train = (): void => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer(), weights)), variables);
    tf.dispose([value, ...Object.values(grads)]);
  };
  const gates = loadNativeGates();
  console.log(`# gate math: ${gates.ok ? `compiled C (${gates.gates.library})` : `TypeScript + SIMD σ (${gates.reason})`}`);
  console.log(`# fused ${cell.toUpperCase()} layer: ${size} sequences × ${L} events (equal work), input ${INPUT}, hidden ${H}; median of ${reps}`);
  const rows: [string, Timing][] = [
    ['fused layer forward + backward', time(reps, train)],
    ['OpenBLAS products alone (same sgemm calls)', time(reps, productsOnly(loaded.blas, size, L, H, G))],
  ];
  const full = rows[0]![1];
  const products = rows[1]![1];
  console.log('| part | wall ms | CPU ms |');
  console.log('|---|---|---|');
  for (const [name, t] of rows) console.log(`| ${name} | ${t.wallMs.toFixed(0)} | ${t.cpuMs.toFixed(0)} |`);
  console.log(`| everything but the products | ${(full.wallMs - products.wallMs).toFixed(0)} | ${(full.cpuMs - products.cpuMs).toFixed(0)} |`);
  tf.dispose([wx, bx, wh, bh, input, weights]);
}

await main();
