/**
 * Where the time of one MeLES train step goes: per tfjs kernel, split into forward, backward and
 * the Adam update, with the wall time beside the kernel time (the difference is per-op overhead in
 * JavaScript: dispatch, tape bookkeeping, allocation).
 *
 *   npx tsx scripts/profile-train-step.ts [--encoder gru|lstm|transformer] [--hidden 256]
 *       [--clients 64] [--splits 5] [--min-len 25] [--max-len 200] [--kernels stock|slice|native] [--top 15]
 *       [--threads 1]
 *
 * `--threads 2` (or more) profiles the data-parallel step of training/parallel/ instead: the wall
 * time of each phase on the training thread and on a gradient worker (medians over `--steps`
 * steps), which shows where one thread waits for the other.
 *
 * Shapes default to the reference of ../shared/bench/torch_meles_step.py. Runs on wasm with
 * `--kernels`: `stock` tfjs kernels, `slice` = the library-free heap kernels only, `native` (default) = those
 * plus the OpenBLAS matMul kernels when the library is present.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../data/random.js';
import { initBackend } from '../encoders/backend.js';
import { buildEncoderConfig, ENCODER_KINDS, resolveEncoderOptions } from '../encoders/encoder-config.js';
import { disableNativeKernels, enableHeapKernels, enableNativeKernels } from '../encoders/kernels/native-kernels.js';
import { l2Normalize } from '../encoders/l2-normalize.js';
import type { EventBatch, PackedBatch } from '../encoders/packed-batch.js';
import { SequenceModel } from '../encoders/sequence-model.js';
import { createLoss, DEFAULT_LOSS, DEFAULT_MINER } from '../metric/create-loss.js';
import type { BaseLoss } from '../metric/losses/base-loss.js';
import { Adam } from '../training/adam.js';
import { DataParallelGradients } from '../training/parallel/data-parallel.js';
import type { PhaseMark, StepPhase } from '../training/parallel/phase-clock.js';
import { expectInteger, expectOneOf } from '../options.js';
import { chooseOpenBlasCore } from '../encoders/kernels/openblas-core.js';

// Before any child starts: meles and PyTorch children inherit the same OpenBLAS kernels (openblas-core.ts).
chooseOpenBlasCore();

const VOCABULARY = 250;

/** Per-kernel totals of one phase. */
type KernelTable = Map<string, { calls: number; ms: number }>;

interface PhaseProfile {
  readonly kernels: KernelTable;
  readonly kernelMs: number;
  readonly wallMs: number;
  readonly peakBytes: number;
}

function randomBatch(size: number, minLength: number, maxLength: number, seed: number): EventBatch {
  const rng = new Rng(seed);
  const lengths = Int32Array.from({ length: size }, () => rng.int(minLength, maxLength));
  const stride = Math.max(...lengths);
  const mcc = new Int32Array(size * stride);
  const amount = new Float32Array(size * stride);
  lengths.forEach((length, b) => {
    for (let t = 0; t < length; t++) {
      mcc[b * stride + t] = rng.int(1, VOCABULARY - 1);
      const value = Math.exp(rng.normal()) * 100;
      amount[b * stride + t] = Math.sign(value) * Math.log1p(Math.abs(value));
    }
  });
  return { size, maxLength: stride, lengths, categorical: { mcc }, numeric: { amount } };
}

/** One profiled kernel call: what the report needs from tfjs's profile records. */
interface KernelRecord {
  readonly name: string;
  readonly ms: number;
}

/** A profiled phase, copied out of tfjs's profile object (which tfjs reuses for the next profile). */
interface ProfiledRun {
  readonly kernels: readonly KernelRecord[];
  readonly peakBytes: number;
  readonly wallMs: number;
}

function tabulate(run: ProfiledRun, from: number, to: number): { table: KernelTable; ms: number } {
  const table: KernelTable = new Map();
  let ms = 0;
  for (const kernel of run.kernels.slice(from, to)) {
    // `<op>__op` records wrap a tf.customGrad op; their time already includes the kernels inside.
    if (kernel.name.endsWith('__op')) continue;
    const time = kernel.ms;
    const entry = table.get(kernel.name) ?? { calls: 0, ms: 0 };
    entry.calls++;
    entry.ms += time;
    table.set(kernel.name, entry);
    ms += time;
  }
  return { table, ms };
}

async function profilePhase(run: () => void): Promise<ProfiledRun> {
  let wallMs = 0;
  const info = await tf.profile(() => {
    const start = performance.now();
    run();
    wallMs = performance.now() - start;
  });
  // tf.profile resolves kernelTimeMs before returning; wasm times kernels synchronously.
  const kernels = info.kernels.map((k) => ({ name: k.name, ms: typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0 }));
  return { kernels, peakBytes: info.peakBytes, wallMs };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      encoder: { type: 'string', default: 'gru' },
      hidden: { type: 'string', default: '256' },
      clients: { type: 'string', default: '64' },
      splits: { type: 'string', default: '5' },
      'min-len': { type: 'string', default: '25' },
      'max-len': { type: 'string', default: '200' },
      kernels: { type: 'string', default: 'native' },
      top: { type: 'string', default: '15' },
      threads: { type: 'string', default: '1' },
      steps: { type: 'string', default: '20' },
    },
  });
  const encoder = expectOneOf('encoder', values.encoder, ENCODER_KINDS);
  const hidden = expectInteger('hidden', Number(values.hidden), 1);
  const clients = expectInteger('clients', Number(values.clients), 2);
  const splits = expectInteger('splits', Number(values.splits), 2);
  const minLength = expectInteger('min-len', Number(values['min-len']), 1);
  const maxLength = expectInteger('max-len', Number(values['max-len']), minLength);
  const kernels = expectOneOf('kernels', values.kernels, ['stock', 'slice', 'native'] as const);
  const top = expectInteger('top', Number(values.top), 1);
  const threads = expectInteger('threads', Number(values.threads), 1);
  const steps = expectInteger('steps', Number(values.steps), 1);

  await initBackend('wasm', { quiet: true });
  // initBackend installs the replacements itself; start from the stock kernels, then apply --kernels.
  disableNativeKernels();
  let kernelNote: string = kernels;
  if (kernels === 'native') {
    const status = enableNativeKernels();
    kernelNote = status.enabled ? `native (${status.sgemm === 'openblas' ? `OpenBLAS ${status.core} kernels` : 'wasm SIMD sgemm'}, ${status.threads} thread)` : `slice only: ${status.reason}`;
  } else if (kernels === 'slice') {
    kernelNote = enableHeapKernels() ? 'library-free heap kernels only (stock matMul)' : 'stock (not on wasm)';
  }
  const features = { categorical: [{ name: 'mcc', vocabularySize: VOCABULARY }], numeric: ['amount'] };
  const model = new SequenceModel(buildEncoderConfig(resolveEncoderOptions({ encoder, hidden }), features), 1);
  const batch = randomBatch(clients * splits, minLength, maxLength, 7);
  const packed = model.pack(batch);
  const labels = Int32Array.from({ length: clients * splits }, (_, i) => Math.floor(i / splits));
  const loss = createLoss(DEFAULT_LOSS, DEFAULT_MINER);
  const optimizer = tf.train.adam(0.002);
  const rng = new Rng(3);
  const lossFn = (): tf.Scalar => loss.call(l2Normalize(model.forward(packed, { training: true, rng })), labels);
  if (threads > 1) {
    const describe = `${encoder} hidden ${hidden}, ${clients}×${splits} sequences, lengths ${minLength}–${maxLength}, ${packed.events} events; wasm kernels: ${kernelNote}`;
    await profileDataParallel({ threads, steps, model, batch, packed, labels, loss, describe });
    loss.dispose();
    optimizer.dispose();
    model.dispose();
    return;
  }

  const step = (): void => {
    optimizer.minimize(lossFn, false, model.trainableVariables());
  };
  step(); // warm-up: compiles nothing, but creates Adam's slots and grows the wasm heap once
  const stepTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    step();
    stepTimes.push(performance.now() - start);
  }
  stepTimes.sort((a, b) => a - b);
  const embedTimes: number[] = [];
  for (let i = 0; i < 4; i++) {
    const start = performance.now();
    model.embed(batch).dispose();
    if (i > 0) embedTimes.push(performance.now() - start);
  }
  embedTimes.sort((a, b) => a - b);

  const forward = await profilePhase(() => tf.tidy(lossFn).dispose());
  let grads: Record<string, tf.Tensor> = {};
  // Where the backward pass starts: the kernel count when the loss value is ready. (A separate
  // forward profile does not line up: in gradient mode tfjs adds Identity and customGrad records.)
  let boundary = 0;
  let boundaryAt = 0;
  let startAt = 0;
  const forwardBackward = await profilePhase(() => {
    startAt = performance.now();
    const result = tf.variableGrads(() => {
      const value = lossFn();
      boundary = tf.engine().state.activeProfile.kernels.length;
      boundaryAt = performance.now();
      return value;
    }, model.trainableVariables());
    result.value.dispose();
    grads = result.grads;
  });
  const named = Object.entries(grads).map(([name, tensor]) => ({ name, tensor }));
  const update = await profilePhase(() => optimizer.applyGradients(named));
  tf.dispose(grads);

  const phases: Record<'forward' | 'backward' | 'adam', PhaseProfile> = {
    forward: phase(tabulate(forwardBackward, 0, boundary), boundaryAt - startAt, forward.peakBytes),
    backward: phase(
      tabulate(forwardBackward, boundary, forwardBackward.kernels.length),
      forwardBackward.wallMs - (boundaryAt - startAt),
      forwardBackward.peakBytes,
    ),
    adam: phase(tabulate(update, 0, update.kernels.length), update.wallMs, update.peakBytes),
  };

  console.log(
    `${encoder} hidden ${hidden}, ${clients}×${splits} sequences, lengths ${minLength}–${maxLength}, ` +
      `${packed.events} events, ${packed.steps} steps; wasm kernels: ${kernelNote}`,
  );
  console.log(`train step (unprofiled, median of 3): ${stepTimes[1].toFixed(0)} ms; embedding batch (median of 3): ${embedTimes[1].toFixed(0)} ms`);
  console.log(`memory after the steps: ${(tf.memory().numBytes / 2 ** 20).toFixed(0)} MB in ${tf.memory().numTensors} tensors\n`);
  console.log('| phase | kernels | kernel ms | wall ms (profiled) | peak MB |');
  console.log('|---|---|---|---|---|');
  for (const [name, p] of Object.entries(phases)) {
    const calls = [...p.kernels.values()].reduce((s, e) => s + e.calls, 0);
    console.log(`| ${name} | ${calls} | ${p.kernelMs.toFixed(0)} | ${p.wallMs.toFixed(0)} | ${(p.peakBytes / 2 ** 20).toFixed(0)} |`);
  }
  const names = new Set([...phases.forward.kernels.keys(), ...phases.backward.kernels.keys(), ...phases.adam.kernels.keys()]);
  const rows = [...names].map((name) => {
    const cell = (p: PhaseProfile): { calls: number; ms: number } => p.kernels.get(name) ?? { calls: 0, ms: 0 };
    const [f, b, a] = [cell(phases.forward), cell(phases.backward), cell(phases.adam)];
    return { name, f, b, a, total: f.ms + b.ms + a.ms };
  });
  rows.sort((x, y) => y.total - x.total);
  const allMs = rows.reduce((s, r) => s + r.total, 0);
  console.log(`\n| kernel | forward ms (calls) | backward ms (calls) | adam ms (calls) | share |`);
  console.log('|---|---|---|---|---|');
  for (const r of rows.slice(0, top)) {
    const c = (e: { calls: number; ms: number }): string => (e.calls === 0 ? '–' : `${e.ms.toFixed(1)} (${e.calls})`);
    console.log(`| ${r.name} | ${c(r.f)} | ${c(r.b)} | ${c(r.a)} | ${((100 * r.total) / allMs).toFixed(1)}% |`);
  }
  loss.dispose();
  optimizer.dispose();
  model.dispose();
}

/** Hand-overs between the threads: from one phase's end to another's, on the other thread. */
const HANDOFFS: readonly (readonly [string, StepPhase, StepPhase])[] = [
  ['job posted -> worker has it', 'main/job-posted', 'worker/job-received'],
  ['worker embeddings written -> training thread has all', 'worker/forward', 'main/embeddings-gathered'],
  ['training thread own forward -> has all (its wait)', 'main/own-forward', 'main/embeddings-gathered'],
  ['dL/dE written -> worker has it', 'main/loss-gradient', 'worker/loss-gradient-received'],
  ['worker gradients written -> training thread has the reply', 'worker/gradients-written', 'main/replies'],
  ['training thread own backward -> reply (its wait)', 'main/own-backward', 'main/replies'],
];

/** What {@link profileDataParallel} steps. */
interface ParallelProfileInput {
  readonly threads: number;
  readonly steps: number;
  readonly model: SequenceModel;
  readonly batch: EventBatch;
  readonly packed: PackedBatch;
  readonly labels: Int32Array;
  readonly loss: BaseLoss;
  readonly describe: string;
}

/** Runs `steps` data-parallel steps (after 3 warm-ups) with phase marks and prints each thread's phases. */
async function profileDataParallel({ threads, steps, model, batch, packed, labels, loss, describe }: ParallelProfileInput): Promise<void> {
  const workers = await DataParallelGradients.start(threads, model, 'wasm', { timed: true });
  const params = model.parameters().filter((p) => p.variable.trainable);
  const adam = new Adam(params, 0.002);
  const variables = params.map((p) => p.variable);
  const sharded = { views: batch, packed, mode: { training: true }, lossOfEmbeddings: (raw: tf.Tensor2D) => loss.call(l2Normalize(raw), labels) };
  const walls: number[] = [];
  // Per phase: its length (since the previous mark on its thread), its end (since the step started)
  // and the thread's CPU time in it, per step.
  const phases = new Map<StepPhase, { length: number[]; end: number[]; cpu: number[] }>();
  const handoffs = new Map<string, number[]>();
  try {
    for (let i = 0; i < steps + 3; i++) {
      const start = performance.now();
      const { value, grads } = await workers.gradients(sharded, variables);
      adam.apply(grads);
      tf.dispose([value, grads]);
      const wall = performance.now() - start;
      const marks = workers.takeMarks();
      if (i < 3) continue;
      walls.push(wall);
      const origin = marks.find((m) => m.phase === 'main/start')?.at ?? marks[0]!.at;
      const at = (phase: StepPhase): number => marks.find((m) => m.phase === phase)?.at ?? NaN;
      for (const [name, from, to] of HANDOFFS) (handoffs.get(name) ?? handoffs.set(name, []).get(name)!).push(at(to) - at(from));
      const previous = new Map<string, PhaseMark>();
      for (const mark of marks) {
        const thread = mark.phase.split('/')[0]!;
        const before = previous.get(thread);
        const entry = phases.get(mark.phase) ?? { length: [], end: [], cpu: [] };
        entry.length.push(mark.at - (before?.at ?? origin));
        entry.end.push(mark.at - origin);
        entry.cpu.push(before === undefined ? NaN : mark.cpu - before.cpu);
        phases.set(mark.phase, entry);
        previous.set(thread, mark);
      }
    }
  } finally {
    await workers.dispose();
    adam.dispose();
  }
  console.log(`data-parallel step on ${threads} threads: ${describe}`);
  console.log(`train step with Adam (median of ${steps}): ${median(walls).toFixed(1)} ms; tensors after: ${tf.memory().numTensors}\n`);
  console.log('| phase (ends at) | wall ms since the previous phase on its thread | its thread\'s CPU ms in it (mean: the kernel updates it per scheduler tick) | ends at ms after the step starts |');
  console.log('|---|---|---|---|');
  const rows = [...phases.entries()].sort((a, b) => median(a[1].end) - median(b[1].end));
  for (const [name, p] of rows) console.log(`| ${name} | ${median(p.length).toFixed(1)} | ${mean(p.cpu).toFixed(1)} | ${median(p.end).toFixed(1)} |`);
  console.log('\n| hand-over (per step, first worker) | median ms | max ms |');
  console.log('|---|---|---|');
  for (const [name, v] of handoffs) console.log(`| ${name} | ${median(v).toFixed(2)} | ${Math.max(...v).toFixed(2)} |`);
}

/** The mean (NaN for none). */
function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** The middle value (mean of the two middle ones for an even count). */
function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function phase(t: { table: KernelTable; ms: number }, wallMs: number, peakBytes: number): PhaseProfile {
  return { kernels: t.table, kernelMs: t.ms, wallMs, peakBytes };
}

await main();
