/**
 * GFLOP/s of the matMul kernels at the shapes one GRU train step uses at the reference size
 * (issue 6: 64 clients × 5 slices = 320 sequences, hidden 256, input 16 + 1 features, up to 200
 * steps): the stock wasm kernel (XNNPACK for plain products), the stock kernel after materialising
 * the transposes (what the backend used without OpenBLAS before issue 16,
 * wasm-transposed-matmul.ts), the WebAssembly SIMD sgemm (simd-gemm.ts, the fallback since issue
 * 16) and OpenBLAS with 1 and 2 threads (skipped when OpenBLAS does not load).
 *
 *   npx tsx scripts/bench-matmul.ts [--reps 20] [--threads 1,2] [--hidden 256] [--batch 320] [--steps 200]
 *
 * Prints a Markdown table: median ms per product (GFLOP/s), and beside it the median process CPU
 * time per product, which other processes on a shared machine disturb far less than wall time.
 * Run it alone: the machine's two cores are shared.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { disableNativeKernels, enableNativeKernels } from '../encoders/kernels/native-kernels.js';
import { expectInteger } from '../options.js';

interface Shape {
  readonly name: string;
  readonly a: number[];
  readonly b: number[];
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  /** 2·m·n·k of the product. */
  readonly flops: number;
}

function gruShapes(batch: number, hidden: number, input: number, steps: number): Shape[] {
  const gates = 3 * hidden;
  const rows = batch * steps;
  return [
    { name: `x·Wx all steps [${rows}×${input}]·[${input}×${gates}]`, a: [rows, input], b: [input, gates], transposeA: false, transposeB: false, flops: 2 * rows * input * gates },
    { name: `h·Wh one step [${batch}×${hidden}]·[${hidden}×${gates}]`, a: [batch, hidden], b: [hidden, gates], transposeA: false, transposeB: false, flops: 2 * batch * hidden * gates },
    { name: `dgates·Whᵀ (grad h) [${batch}×${gates}]·[${hidden}×${gates}]ᵀ`, a: [batch, gates], b: [hidden, gates], transposeA: false, transposeB: true, flops: 2 * batch * gates * hidden },
    { name: `hᵀ·dgates (grad Wh) [${batch}×${hidden}]ᵀ·[${batch}×${gates}]`, a: [batch, hidden], b: [batch, gates], transposeA: true, transposeB: false, flops: 2 * hidden * batch * gates },
    { name: `xᵀ·dgates (grad Wx) [${rows}×${input}]ᵀ·[${rows}×${gates}]`, a: [rows, input], b: [rows, gates], transposeA: true, transposeB: false, flops: 2 * input * rows * gates },
  ];
}

/** Median wall and CPU milliseconds of one product, after two warm-up calls. */
function timeProduct(shape: Shape, reps: number, materialiseTransposes = false): { wall: number; cpu: number } {
  const a = tf.randomNormal(shape.a, 0, 1, 'float32', 1);
  const b = tf.randomNormal(shape.b, 0, 1, 'float32', 2);
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < reps + 2; i++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    const out = materialiseTransposes
      ? tf.tidy(() => tf.matMul(shape.transposeA ? tf.transpose(a) : a, shape.transposeB ? tf.transpose(b) : b))
      : tf.matMul(a, b, shape.transposeA, shape.transposeB);
    const cpu = process.cpuUsage(cpuStart);
    const elapsed = performance.now() - start;
    out.dispose();
    if (i >= 2) {
      walls.push(elapsed);
      cpus.push((cpu.user + cpu.system) / 1000);
    }
  }
  tf.dispose([a, b]);
  const median = (xs: number[]): number => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return { wall: median(walls), cpu: median(cpus) };
}

function cell(shape: Shape, time: { wall: number; cpu: number }): string {
  return `${time.wall.toFixed(2)} ms (${(shape.flops / time.wall / 1e6).toFixed(1)}); cpu ${time.cpu.toFixed(2)}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '20' },
      threads: { type: 'string', default: '1,2' },
      hidden: { type: 'string', default: '256' },
      batch: { type: 'string', default: '320' },
      steps: { type: 'string', default: '200' },
    },
  });
  const reps = expectInteger('reps', Number(values.reps), 1);
  const hidden = expectInteger('hidden', Number(values.hidden), 1);
  const batch = expectInteger('batch', Number(values.batch), 1);
  const steps = expectInteger('steps', Number(values.steps), 1);
  const threadCounts = values.threads.split(',').map((t) => expectInteger('threads', Number(t), 1, 64));
  await tf.setBackend('wasm');
  await tf.ready();
  const shapes = gruShapes(batch, hidden, 17, steps);
  const columns = ['stock wasm', 'stock wasm, transposes materialised', 'wasm SIMD sgemm', ...threadCounts.map((t) => `OpenBLAS ${t} thr`)];
  const rows: string[] = [];
  for (const shape of shapes) {
    const cells: string[] = [];
    const stockReps = Math.max(3, Math.ceil(reps / 4));
    disableNativeKernels();
    cells.push(cell(shape, timeProduct(shape, stockReps)));
    cells.push(shape.transposeA || shape.transposeB ? cell(shape, timeProduct(shape, stockReps, true)) : '(same)');
    disableNativeKernels();
    const simd = enableNativeKernels({ sgemm: 'wasm-simd' });
    if (!simd.enabled || simd.sgemm !== 'wasm-simd') throw new Error(`wasm SIMD sgemm unavailable: ${simd.reason}`);
    cells.push(cell(shape, timeProduct(shape, reps)));
    for (const threads of threadCounts) {
      disableNativeKernels();
      const status = enableNativeKernels({ threads, sgemm: 'openblas' });
      cells.push(status.enabled ? cell(shape, timeProduct(shape, reps)) : `– (${status.reason})`);
    }
    disableNativeKernels();
    rows.push(`| ${shape.name} | ${cells.join(' | ')} |`);
  }
  console.log(`batch ${batch}, hidden ${hidden}, input 17, ${steps} steps; median wall ms per product (GFLOP/s); median process CPU ms\n`);
  console.log(`| product | ${columns.join(' | ')} |`);
  console.log(`|---|${columns.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(row);
}

await main();
