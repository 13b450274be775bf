/**
 * Issue 16, "both cores": the MeLES train step at the reference batch on 1 thread, with threaded
 * OpenBLAS (2 threads for every product in one thread), and data-parallel over 2 threads
 * (training/parallel/), beside PyTorch on 1 and 2 threads (`torch.set_num_threads`, with
 * `OPENBLAS_NUM_THREADS` equal). Every measurement runs in its own child process, one after the
 * other; medians of `--steps` steps after one warm-up (PyTorch: after two). Also prints each meles
 * child's CPU time per step (user + system of all its threads).
 *
 *   npx tsx scripts/bench-threads.ts [--steps 5] [--encoder gru|lstm|transformer] [--hidden 256]
 *        [--clients 64] [--min-len 25] [--max-len 200] [--no-torch] [--torch-threads 1,2] [--modes one,blas2,workers2]
 *
 * The demo's shapes: `--hidden 64 --min-len 25 --max-len 100` (64 clients × 5 slices).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../encoders/backend.js';
import { ENCODER_KINDS, type EncoderKind } from '../encoders/encoder-config.js';
import { loadOpenBlas } from '../encoders/kernels/openblas.js';
import { l2Normalize } from '../encoders/l2-normalize.js';
import { DataParallelGradients } from '../training/parallel/data-parallel.js';
import { flagReader, median, referenceBatch, referenceTraining, SPLITS } from './reference-step.js';
import { chooseOpenBlasCore } from '../encoders/kernels/openblas-core.js';

// Before any child starts: meles and PyTorch children inherit the same OpenBLAS kernels (openblas-core.ts).
// Named in the header: a value set in the environment wins, and on this project's AMD EPYC machine
// `Haswell` (AVX2) steps took ~18% more CPU than the `SkylakeX` (AVX-512) kernels chosen from its flags.
const openBlasCore = chooseOpenBlasCore() ?? 'OpenBLAS default';

const args = process.argv.slice(2);
const flag = flagReader(args);
const STEPS = Number(flag('steps', '5'));
const ENCODER = flag('encoder', 'gru') as EncoderKind;
if (!(ENCODER_KINDS as readonly string[]).includes(ENCODER)) throw new Error(`Expected \`--encoder\` to be one of ${ENCODER_KINDS.join(', ')}, got \`${ENCODER}\``);
const HIDDEN = Number(flag('hidden', '256'));
const CLIENTS = Number(flag('clients', '64'));
const MIN_LEN = Number(flag('min-len', '25'));
const MAX_LEN = Number(flag('max-len', '200'));
const MODES = ['one', 'blas2', 'workers2'] as const;
type Mode = (typeof MODES)[number];
const MODE_LABEL: Record<Mode, string> = {
  one: 'meles, 1 thread',
  blas2: 'meles, OpenBLAS 2 threads (one JS thread)',
  workers2: 'meles, data-parallel 2 threads (--threads 2)',
};
const TORCH_RNN = fileURLToPath(new URL('./torch_meles_step.py', import.meta.url));

interface Measured {
  readonly trainMs: number;
  readonly cpuMs: number;
  readonly loss: number;
}

async function measure(mode: Mode): Promise<Measured> {
  await initBackend('wasm', { quiet: true });
  if (mode === 'blas2') {
    const blas = loadOpenBlas();
    if (!blas.ok) throw new Error(blas.reason);
    blas.blas.setThreads(2);
  }
  const batch = referenceBatch(0, CLIENTS, MIN_LEN, MAX_LEN);
  const training = referenceTraining({ encoder: ENCODER, hidden: HIDDEN, layers: 1, heads: 4 });
  const { model, adam, loss, variables } = training;
  const workers = mode === 'workers2' ? await DataParallelGradients.start(2, model, 'wasm') : null;
  const lossOfEmbeddings = (raw: tf.Tensor2D): tf.Scalar => loss.call(l2Normalize(raw), batch.labels);
  const wall: number[] = [];
  const cpu: number[] = [];
  let last = NaN;
  for (let i = 0; i < STEPS + 1; i++) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const packed = model.pack(batch);
    const { value, grads } = workers === null
      ? tf.variableGrads(() => lossOfEmbeddings(model.forward(packed, { training: true })), variables)
      : await workers.gradients({ views: batch, packed, mode: { training: true }, lossOfEmbeddings }, variables);
    adam.apply(grads);
    last = value.dataSync()[0]!;
    tf.dispose([value, grads]);
    const used = process.cpuUsage(cpu0);
    if (i > 0) {
      wall.push(performance.now() - t0);
      cpu.push((used.user + used.system) / 1000);
    }
  }
  await workers?.dispose();
  training.dispose();
  return { trainMs: median(wall), cpuMs: median(cpu), loss: last };
}

function child(mode: Mode): Measured | null {
  const run = spawnSync(process.execPath, ['--import', 'tsx', process.argv[1]!, '--child', mode, ...args], {
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, MELES_QUIET: '1' },
  });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !line.startsWith('{')) {
    process.stderr.write(`${mode}: child failed (${run.status}): ${run.stderr.slice(-600)}\n`);
    return null;
  }
  return JSON.parse(line) as Measured;
}

const TORCH_THREADS = flag('torch-threads', '1,2').split(',').map(Number);

function torch(threads: number): number | null {
  if (!TORCH_THREADS.includes(threads)) return null;
  if (args.includes('--no-torch') || ENCODER === 'transformer' || !existsSync(TORCH_RNN)) return null;
  const run = spawnSync('/usr/bin/python3', [TORCH_RNN, '--hidden', String(HIDDEN), '--clients', String(CLIENTS), '--splits', String(SPLITS),
    '--min-len', String(MIN_LEN), '--max-len', String(MAX_LEN), '--cell', ENCODER, '--threads', String(threads), '--steps', String(STEPS)], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads) },
  });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !line.startsWith('{')) {
    process.stderr.write(`torch ${threads} threads failed (${run.status}): ${run.stderr.slice(-400)}\n`);
    return null;
  }
  return (JSON.parse(line) as { train_step_ms_median: number }).train_step_ms_median;
}

if (args[0] === '--child') {
  console.log(JSON.stringify(await measure(args[1] as Mode)));
  process.exit(0);
}

const modes = flag('modes', MODES.join(',')).split(',').filter((m): m is Mode => (MODES as readonly string[]).includes(m));
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`# bench-threads: ${ENCODER} hidden ${HIDDEN}, ${CLIENTS}×${SPLITS} sequences, lengths ${MIN_LEN}–${MAX_LEN}, median of ${STEPS} train steps; OpenBLAS kernels ${openBlasCore}; load average at start ${load()}`);
const rows: { name: string; ms: number | null; cpu?: number; loss?: number }[] = [];
rows.push({ name: 'PyTorch, 1 thread', ms: torch(1) });
for (const mode of modes) {
  const m = child(mode);
  rows.push({ name: MODE_LABEL[mode], ms: m?.trainMs ?? null, cpu: m?.cpuMs, loss: m?.loss });
}
rows.push({ name: 'PyTorch, 2 threads', ms: torch(2) });
const torchTimes = rows.filter((r) => r.name.startsWith('PyTorch') && r.ms !== null).map((r) => r.ms!);
const bestTorch = torchTimes.length > 0 ? Math.min(...torchTimes) : null;
console.log('| run | train step ms | CPU ms per step | vs PyTorch best of 1 and 2 threads | last loss |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  const ratio = r.ms !== null && bestTorch !== null ? `${(r.ms / bestTorch).toFixed(2)}×` : '';
  console.log(`| ${r.name} | ${r.ms === null ? 'failed/skipped' : r.ms.toFixed(0)} | ${r.cpu === undefined ? '' : r.cpu.toFixed(0)} | ${ratio} | ${r.loss === undefined ? '' : r.loss.toFixed(5)} |`);
}
console.log(`# load average at end ${load()}`);
