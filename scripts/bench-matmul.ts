/**
 * GFLOP/s of the stock wasm matMul kernel vs the OpenBLAS one (1 and 2 threads) at the shapes one
 * GRU train step uses at the reference size (issue 6: 64 clients × 5 slices = 320 sequences,
 * hidden 256, input 16 + 1 features, up to 200 steps).
 *
 *   npx tsx scripts/bench-matmul.ts [--reps 20] [--threads 1,2] [--hidden 256] [--batch 320]
 *
 * Prints a Markdown table. Run it alone: the machine's two cores are shared.
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

/** Median milliseconds of one product, after two warm-up calls. */
function timeProduct(shape: Shape, reps: number): number {
  const a = tf.randomNormal(shape.a, 0, 1, 'float32', 1);
  const b = tf.randomNormal(shape.b, 0, 1, 'float32', 2);
  const times: number[] = [];
  for (let i = 0; i < reps + 2; i++) {
    const start = performance.now();
    const out = tf.matMul(a, b, shape.transposeA, shape.transposeB);
    const elapsed = performance.now() - start;
    out.dispose();
    if (i >= 2) times.push(elapsed);
  }
  tf.dispose([a, b]);
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
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
  const columns = ['stock wasm', ...threadCounts.map((t) => `OpenBLAS ${t} thr`)];
  const rows: string[] = [];
  for (const shape of shapes) {
    const cells: string[] = [];
    disableNativeKernels();
    const stockMs = timeProduct(shape, Math.max(3, Math.ceil(reps / 4)));
    cells.push(`${stockMs.toFixed(2)} ms (${(shape.flops / stockMs / 1e6).toFixed(1)})`);
    for (const threads of threadCounts) {
      disableNativeKernels();
      const status = enableNativeKernels({ threads });
      if (!status.enabled) {
        console.error(`native kernels unavailable: ${status.reason}`);
        process.exitCode = 1;
        return;
      }
      const ms = timeProduct(shape, reps);
      cells.push(`${ms.toFixed(2)} ms (${(shape.flops / ms / 1e6).toFixed(1)})`);
    }
    rows.push(`| ${shape.name} | ${cells.join(' | ')} |`);
  }
  console.log(`batch ${batch}, hidden ${hidden}, input 17, ${steps} steps; median ms per product (GFLOP/s)\n`);
  console.log(`| product | ${columns.join(' | ')} |`);
  console.log(`|---|${columns.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(row);
}

await main();
