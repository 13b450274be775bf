/**
 * Train-step and embedding-batch benchmark of the meles encoders at the reference shapes of
 * `scripts/torch_meles_step.py` (64 clients × 5 slices, lengths 25–200, hidden 256,
 * categorical embedding 16 over 250 values, one log-scaled numeric), with the PyTorch script run
 * in the same process tree for the ratios, plus a GRU (or `--sweep-encoder lstm`) length sweep with no padding: linear growth, equal-work ratios.
 *
 * The Transformer runs `--transformer-layers` layers (1 by default) with 4 heads (feed-forward width =
 * hidden). Before its layers became checkpointed ops (issue 16) two layers did not fit the 4 GB
 * wasm32 heap at 320 sequences × 200 events; `MELES_TRANSFORMER_CHECKPOINT=0` measures that plain
 * autodiff path. Its PyTorch reference, `scripts/torch_transformer_step.py`, uses the same layers,
 * heads and widths.
 *
 * Times: besides wall-clock medians, the child reports the median CPU time (user + system) of its
 * train steps, which is far less sensitive to other processes on a shared machine than wall time;
 * and the size of the wasm heap after the train steps (it only grows, so it is the heap's peak).
 *
 * Peak memory: every measurement (meles and PyTorch) runs in its own child process, which reports
 * its resident-memory high-water mark at the end (node `process.resourceUsage().maxRSS`, python
 * `ru_maxrss` via `scripts/torch_peak.py`), beside the high-water mark right after the library
 * loaded (the baseline). Both sides cover setup + train steps + embedding batches. For PyTorch the
 * end value is taken as the train step's peak (a no-grad pass keeps no activations); meles also
 * reads it after the train steps, because its inference GRU step loop can need more than the fused
 * training op, and prints both when they differ.
 *
 * A train step = forward + contrastive loss with 5 hard negatives + backward + Adam, as in the
 * PyTorch script. Kernel setup comes from initBackend (set MELES_NATIVE_KERNELS=0 or
 * MELES_FUSED_GRU=0 to measure the fallbacks).
 *
 *   npx tsx scripts/bench-train.ts [--steps 5] [--encoders gru,lstm,transformer] [--lengths 50,100,200,400]
 *                                  [--hidden 256] [--transformer-layers 1] [--clients 64] [--min-len 25] [--max-len 200]
 *                                  [--torch-blocks 0] [--sweep-encoder gru] [--sweep-steps 3] [--no-torch] [--layers-rnn]
 *
 * `--sweep-steps N` sets the sweep's steps (default min(`--steps`, 3), at least 2). The sweep prints,
 * for both sides, the median wall time, the fastest step and the median CPU time (process user +
 * system); on a loaded shared machine the CPU ratio is the steady one.
 * `--lengths 0` skips the length sweep. `--torch-blocks 64` makes the PyTorch Transformer attend in
 * length-sorted blocks of 64 like meles (equal work) instead of padding the whole batch. PyTorch runs with OPENBLAS_NUM_THREADS=1 and `--threads 1`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { type BackendName, initBackend } from '../encoders/backend.js';
import { ENCODER_KINDS, type EncoderKind } from '../encoders/encoder-config.js';
import { asWasmHeapBackend } from '../encoders/kernels/wasm-heap.js';
import { l2Normalize } from '../encoders/l2-normalize.js';
import { flagReader, type LabelledBatch, median, referenceBatch, referenceTraining, SPLITS } from './reference-step.js';
import { chooseOpenBlasCore } from '../encoders/kernels/openblas-core.js';

// Before any child starts: meles and PyTorch children inherit the same OpenBLAS kernels (openblas-core.ts).
chooseOpenBlasCore();

const args = process.argv.slice(2);
const flag = flagReader(args);
const STEPS = Number(flag('steps', '5'));
const isKind = (name: string): name is EncoderKind => (ENCODER_KINDS as readonly string[]).includes(name);
// Unknown names (e.g. `--encoders none`) are skipped, so the sweep can run alone.
const ENCODERS = flag('encoders', 'gru,lstm,transformer').split(',').filter(isKind);
const SWEEP_ENCODER = flag('sweep-encoder', 'gru');
if (SWEEP_ENCODER !== 'gru' && SWEEP_ENCODER !== 'lstm') throw new Error(`Expected \`--sweep-encoder\` to be gru or lstm, got \`${SWEEP_ENCODER}\``);
const LENGTHS = flag('lengths', '50,100,200,400').split(',').map(Number);
const CLIENTS = Number(flag('clients', '64'));
const MIN_LEN = Number(flag('min-len', '25'));
const MAX_LEN = Number(flag('max-len', '200'));
if (!(Number.isInteger(MIN_LEN) && Number.isInteger(MAX_LEN) && MIN_LEN >= 1 && MIN_LEN <= MAX_LEN)) {
  throw new Error(`Expected 1 <= \`--min-len\` <= \`--max-len\` (integers), got \`${MIN_LEN}\` and \`${MAX_LEN}\``);
}
const HIDDEN = Number(flag('hidden', '256'));
const TRANSFORMER_LAYERS = Number(flag('transformer-layers', '1'));
const TRANSFORMER_HEADS = 4;
// 0: PyTorch pads the whole batch (as pytorch-lifestream); N: length-sorted blocks of N, meles' layout.
const TORCH_BLOCKS = Number(flag('torch-blocks', '0'));
// Resolved from this file, so the benchmark runs from any working directory.
// A copy of the shared reference (../shared/bench/torch_meles_step.py), so a fresh clone can run the benchmark.
const TORCH_RNN = fileURLToPath(new URL('./torch_meles_step.py', import.meta.url));
const TORCH_TRANSFORMER = fileURLToPath(new URL('./torch_transformer_step.py', import.meta.url));
const TORCH_PEAK = fileURLToPath(new URL('./torch_peak.py', import.meta.url));

/** One meles measurement, as its child process reports it. */
interface Measured {
  readonly trainMs: number;
  /** Fastest train step (wall): on a loaded machine the least disturbed one. */
  readonly trainMinMs: number;
  readonly embedMs: number;
  readonly events: number;
  /** Resident-memory high-water mark after the train steps (before any embedding batch). */
  readonly trainPeakRssMb: number;
  /** High-water mark at the end of the child (setup + train steps + embedding batches). */
  readonly peakRssMb: number;
  /** High-water mark after the backend started and the batch was built. */
  readonly baselineRssMb: number;
  /** Median CPU time (user + system, all threads) of a train step. */
  readonly trainCpuMs: number;
  /** wasm heap size after the train steps (MB; 0 on another backend). */
  readonly trainHeapMb: number;
}

/** Resident-memory high-water mark of this process in MB (`maxRSS` is in kB). */
const maxRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

function measure(kind: EncoderKind, batch: LabelledBatch, steps: number, embedSteps: number): Measured {
  const training = referenceTraining({ encoder: kind, hidden: HIDDEN, layers: kind === 'transformer' ? TRANSFORMER_LAYERS : 1, heads: TRANSFORMER_HEADS });
  const { model, adam, loss, variables } = training;
  const baselineRssMb = maxRssMb();
  const train: number[] = [];
  const trainCpu: number[] = [];
  for (let i = 0; i < steps + 1; i++) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const packed = model.pack(batch);
    const { value, grads } = tf.variableGrads(() => loss.call(l2Normalize(model.forward(packed, { training: true })), batch.labels), variables);
    adam.apply(grads);
    value.dataSync();
    tf.dispose([value, grads]);
    if (i > 0) train.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    if (i > 0) trainCpu.push((cpu.user + cpu.system) / 1000);
  }
  const trainPeakRssMb = maxRssMb();
  const heap = asWasmHeapBackend(tf.backend());
  const trainHeapMb = heap === null ? 0 : Math.round(heap.wasm.HEAPU8.buffer.byteLength / 2 ** 20);
  const embed: number[] = [];
  for (let i = 0; i < embedSteps + 1; i++) {
    const t0 = performance.now();
    const e = model.embed(batch);
    e.dataSync();
    e.dispose();
    if (i > 0) embed.push(performance.now() - t0);
  }
  const events = batch.lengths.reduce((a, b) => a + b, 0);
  training.dispose();
  return { trainMs: median(train), trainMinMs: Math.min(...train), embedMs: median(embed), events, trainPeakRssMb, peakRssMb: maxRssMb(), baselineRssMb, trainCpuMs: median(trainCpu), trainHeapMb };
}

/** tfjs-layers GRU on the padded batch (the formulation the issue measured), for the record. */
function measureLayersGru(batch: LabelledBatch, steps: number): number {
  const T = batch.maxLength;
  const gru = tf.sequential({ layers: [tf.layers.gru({ units: HIDDEN, inputShape: [T, 17], returnSequences: false })] });
  const x = tf.randomNormal([batch.size, T, 17]);
  const optimizer = tf.train.adam(0.002);
  const times: number[] = [];
  for (let i = 0; i < steps + 1; i++) {
    const t0 = performance.now();
    const cost = optimizer.minimize(() => tf.mean(tf.square(gru.apply(x) as tf.Tensor)) as tf.Scalar, true);
    cost?.dataSync();
    cost?.dispose();
    if (i > 0) times.push(performance.now() - t0);
  }
  x.dispose();
  gru.dispose();
  optimizer.dispose();
  return median(times);
}

/** One PyTorch measurement: the script's medians plus the peak its wrapper process reports. */
interface TorchMeasured {
  readonly train: number;
  /** Fastest train step (wall). */
  readonly trainMin: number;
  /** Median process CPU time of a train step (user + system, all threads). */
  readonly trainCpu: number;
  readonly embed: number;
  readonly events: number;
  readonly peakRssMb: number;
  readonly baselineRssMb: number;
}

/** Runs the PyTorch reference for `kind` in its own python process (through torch_peak.py). */
function torch(kind: EncoderKind, minLen: number, maxLen: number, steps: number): TorchMeasured | null {
  const script = kind === 'transformer' ? TORCH_TRANSFORMER : TORCH_RNN;
  if (args.includes('--no-torch') || !existsSync(script) || !existsSync(TORCH_PEAK)) return null;
  const shape = ['--hidden', String(HIDDEN), '--clients', String(CLIENTS), '--splits', String(SPLITS), '--min-len', String(minLen), '--max-len', String(maxLen)];
  const model = kind === 'transformer' ? ['--layers', String(TRANSFORMER_LAYERS), '--heads', String(TRANSFORMER_HEADS), '--blocks', String(TORCH_BLOCKS)] : ['--cell', kind];
  const run = spawnSync('/usr/bin/python3', [TORCH_PEAK, script, ...shape, ...model, '--threads', '1', '--steps', String(steps)], {
    encoding: 'utf8',
    // Without this OpenBLAS starts one thread per core on top of torch's, oversubscribing the shared cores.
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
  });
  const lines = run.stdout.trim().split('\n');
  if (run.status !== 0 || lines.length < 2) {
    process.stderr.write(`torch ${kind} ${minLen}-${maxLen} failed (${run.status}): ${run.stderr.split('\n').slice(-3).join(' ')}\n`);
    return null;
  }
  const result = JSON.parse(lines.at(-2)!) as { train_step_ms_median: number; train_step_cpu_ms_median?: number; train_step_ms_min?: number; embed_batch_ms_median: number; events: number };
  const memory = JSON.parse(lines.at(-1)!) as { peak_rss_mb: number; baseline_rss_mb: number };
  return { train: result.train_step_ms_median, trainMin: result.train_step_ms_min ?? Number.NaN, trainCpu: result.train_step_cpu_ms_median ?? Number.NaN, embed: result.embed_batch_ms_median, events: result.events, peakRssMb: memory.peak_rss_mb, baselineRssMb: memory.baseline_rss_mb };
}

/** Runs one measurement in a fresh process: the wasm heap only grows, so encoders must not share one. */
function child(kind: EncoderKind, minLen: number, maxLen: number, steps: number): Measured | null {
  const run = spawnSync(process.execPath, [
      '--import',
      'tsx',
      process.argv[1]!,
      '--child',
      kind,
      String(minLen),
      String(maxLen),
      String(steps),
      // The shape flags the child reads through flag().
      ...['--hidden', String(HIDDEN), '--clients', String(CLIENTS), '--transformer-layers', String(TRANSFORMER_LAYERS)],
    ], {
    encoding: 'utf8',
    // `--import tsx` resolves from the working directory: run the child from the repository root.
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, MELES_QUIET: '1' },
  });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !line.startsWith('{')) {
    process.stderr.write(`${kind} ${minLen}-${maxLen}: child failed (${run.status}): ${run.stderr.split('\n').filter((l) => /Error|Abort/.test(l)).slice(0, 2).join(' ').slice(0, 300)}\n`);
    return null;
  }
  return JSON.parse(line) as Measured;
}

if (args[0] === '--child') {
  await initBackend((process.env.MELES_BACKEND as BackendName | undefined) ?? 'wasm');
  const [, kind, minLen, maxLen, steps] = args;
  const m = measure(kind as EncoderKind, referenceBatch(minLen === maxLen ? 1 : 0, CLIENTS, Number(minLen), Number(maxLen)), Number(steps), Number(steps));
  console.log(JSON.stringify(m));
  process.exit(0);
}

const backend: BackendName = await initBackend((process.env.MELES_BACKEND as BackendName | undefined) ?? 'wasm');
const kernels = `native kernels ${process.env.MELES_NATIVE_KERNELS === '0' ? 'off' : 'on if OpenBLAS loads'}, fused GRU ${process.env.MELES_FUSED_GRU === '0' ? 'off' : 'on if native'}`;
const heapNote = process.env.MELES_TRANSFORMER_CHECKPOINT === '0' ? ' (plain autodiff layers, MELES_TRANSFORMER_CHECKPOINT=0)' : ' (checkpointed layers)';
console.log(
  `# bench-train: backend ${backend} (${kernels}), hidden ${HIDDEN}, ${CLIENTS}×${SPLITS} sequences, lengths ${MIN_LEN}–${MAX_LEN}, median of ${STEPS} steps; ` +
    `transformer: ${TRANSFORMER_LAYERS} layer(s), ${TRANSFORMER_HEADS} heads, feed-forward ${HIDDEN}${heapNote}; PyTorch 1 thread, OPENBLAS_NUM_THREADS=1, ` +
    `PyTorch transformer ${TORCH_BLOCKS > 0 ? `in length-sorted blocks of ${TORCH_BLOCKS}` : 'padded to the batch maximum'}`,
);
console.log('# peak RSS = resident-memory high-water mark of the child process (baseline after the library loaded in parentheses)');
const ratio = (ours: number, theirs: number): string => `${(ours / theirs).toFixed(2)}×`;
/** "peak (baseline)", plus the peak after the train steps alone if the embedding batches raised it. */
const rss = (m: Measured): string => `${m.peakRssMb} (${m.baselineRssMb})${m.trainPeakRssMb < m.peakRssMb ? `; after train ${m.trainPeakRssMb}` : ''}`;
console.log(
  '| encoder | train step ms | train step CPU ms | embed batch ms | train events/s | embed events/s | peak RSS MB | wasm heap MB after train | torch train ms | torch embed ms | torch embed events/s | torch peak RSS MB | train ratio | embed ratio |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const kind of ENCODERS) {
  const m = child(kind, MIN_LEN, MAX_LEN, STEPS);
  const t = torch(kind, MIN_LEN, MAX_LEN, STEPS);
  const cells = [
    kind,
    m ? m.trainMs.toFixed(0) : 'failed',
    m ? m.trainCpuMs.toFixed(0) : '',
    m ? m.embedMs.toFixed(0) : '',
    m ? Math.round((m.events / m.trainMs) * 1000) : '',
    m ? Math.round((m.events / m.embedMs) * 1000) : '',
    m ? rss(m) : '',
    m ? m.trainHeapMb : '',
    t ? t.train.toFixed(0) : 'n/a',
    t ? t.embed.toFixed(0) : 'n/a',
    t ? Math.round((t.events / t.embed) * 1000) : 'n/a',
    t ? `${t.peakRssMb} (${t.baselineRssMb})` : 'n/a',
    m && t ? ratio(m.trainMs, t.train) : 'n/a',
    m && t ? ratio(m.embedMs, t.embed) : 'n/a',
  ];
  console.log(`| ${cells.join(' | ')} |`);
}
if (LENGTHS.length > 0 && LENGTHS[0]! > 0) {
  const sweepSteps = Number(flag('sweep-steps', String(Math.max(2, Math.min(STEPS, 3)))));
  if (!(Number.isInteger(sweepSteps) && sweepSteps >= 1)) throw new Error(`Expected \`--sweep-steps\` to be an integer >= 1, got \`${sweepSteps}\``);
  console.log(`\n# ${SWEEP_ENCODER.toUpperCase()} train step vs sequence length (all ${CLIENTS * SPLITS} sequences of length L; median of ${sweepSteps} steps)`);
  console.log(
    '| L | train step ms | fastest step ms | train step CPU ms | ms per 1k events | relative to L0 per event | embed batch ms | peak RSS MB | torch train ms | torch fastest ms | torch train CPU ms | torch embed ms | torch peak RSS MB | train ratio | fastest ratio | train CPU ratio |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  let base = 0;
  for (const L of LENGTHS) {
    const m = child(SWEEP_ENCODER, L, L, sweepSteps);
    const t = torch(SWEEP_ENCODER, L, L, sweepSteps);
    if (m === null) {
      console.log(`| ${L} | failed |  |  |  |  |  |  | ${t ? t.train.toFixed(0) : 'n/a'} | ${t ? t.trainMin.toFixed(0) : 'n/a'} | ${t ? t.trainCpu.toFixed(0) : 'n/a'} | ${t ? t.embed.toFixed(0) : 'n/a'} | ${t ? t.peakRssMb : 'n/a'} | n/a | n/a | n/a |`);
      continue;
    }
    const perK = (m.trainMs / m.events) * 1000;
    if (base === 0) base = perK;
    const cells = [
      L,
      m.trainMs.toFixed(0),
      m.trainMinMs.toFixed(0),
      m.trainCpuMs.toFixed(0),
      perK.toFixed(2),
      (perK / base).toFixed(2),
      m.embedMs.toFixed(0),
      rss(m),
      t ? t.train.toFixed(0) : 'n/a',
      t ? t.trainMin.toFixed(0) : 'n/a',
      t ? t.trainCpu.toFixed(0) : 'n/a',
      t ? t.embed.toFixed(0) : 'n/a',
      t ? `${t.peakRssMb} (${t.baselineRssMb})` : 'n/a',
      t ? ratio(m.trainMs, t.train) : 'n/a',
      t ? ratio(m.trainMinMs, t.trainMin) : 'n/a',
      t ? ratio(m.trainCpuMs, t.trainCpu) : 'n/a',
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}
if (args.includes('--layers-rnn')) {
  const batch = referenceBatch(0, CLIENTS, MIN_LEN, MAX_LEN);
  const ms = measureLayersGru(batch, 2);
  console.log(`\n# tfjs-layers GRU (padded, ${batch.size}×${batch.maxLength}×17 → ${HIDDEN}, MSE + Adam): ${ms.toFixed(0)} ms per train step`);
}
