/**
 * Speed of the MeLES loss step: contrastive loss (margin 0.5, summed) with hard-negative mining
 * (5 per anchor) on 320 × 256 float32 embeddings (64 clients × 5 views), forward + backward, on
 * the tfjs wasm backend; beside pytorch-lifestream's code in PyTorch (same embeddings, same run)
 * when `/usr/bin/python3 -c 'import torch'` works.
 *
 *   npx tsx scripts/bench-metric.ts [--reps 20] [--rounds 3] [--clients 64] [--splits 5] [--dim 256] [--threads 1]
 *
 * Rows:
 * - `meles default`: the library as used in training (`createLoss(DEFAULT_LOSS, DEFAULT_MINER)`),
 *   which takes the closed-form Euclidean pair path (`metric/losses/euclidean-pair-path.ts`);
 * - `taped masks`: the generic tensor path (count-matrix weights on the pairwise matrix, no
 *   gather), forced with a subclass of EuclideanDistance;
 * - `gather ablation`: the same pairs, but the pytorch-lifestream formulation (gather rows, then
 *   per-pair distances), whose backward needs UnsortedSegmentSum;
 * - `mining only`: the hard-negative miner alone;
 * each with the stock wasm matMul (`MELES_NATIVE_KERNELS=0`) and with the OpenBLAS matMul kernels
 * from `encoders/kernels/`, which `initBackend('wasm')` installs by default.
 * Run it alone: the machine's two cores are shared.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../data/random.js';
import { initBackend } from '../encoders/backend.js';
import { disableNativeKernels, enableNativeKernels } from '../encoders/kernels/native-kernels.js';
import { createLoss, DEFAULT_LOSS, DEFAULT_MINER } from '../metric/create-loss.js';
import { EuclideanDistance } from '../metric/distances/euclidean-distance.js';
import type { BaseLoss } from '../metric/losses/base-loss.js';
import { ContrastiveLoss } from '../metric/losses/contrastive-loss.js';
import { asPairs, type MinedIndices } from '../metric/mined-indices.js';
import { expectInteger } from '../options.js';
import { chooseOpenBlasCore } from '../encoders/kernels/openblas-core.js';

// Before any child starts: meles and PyTorch children inherit the same OpenBLAS kernels (openblas-core.ts).
chooseOpenBlasCore();

interface TorchResult {
  engine: string;
  threads: number;
  ptls_ms_median: number;
  ptls_loss: number;
  cdist_ms_median: number;
  cdist_ms_min: number;
  cdist_loss: number;
}

/** Same maths as EuclideanDistance, but not the exact class: losses then take the taped tensor path. */
class TapedEuclidean extends EuclideanDistance {}

/**
 * Clustered unit vectors: client centres share one direction (so some negatives fall inside the
 * 0.5 margin, as in training), views scatter around their centre.
 */
function clusteredEmbeddings(clients: number, splits: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const shared = Array.from({ length: dim }, () => rng.normal() / Math.sqrt(dim));
  const out = new Float32Array(clients * splits * dim);
  for (let c = 0; c < clients; c++) {
    const centre = shared.map((s) => s + (0.35 * rng.normal()) / Math.sqrt(dim));
    for (let k = 0; k < splits; k++) {
      const row = (c * splits + k) * dim;
      let norm = 0;
      for (let j = 0; j < dim; j++) {
        const v = centre[j]! + (0.2 * rng.normal()) / Math.sqrt(dim);
        out[row + j] = v;
        norm += v * v;
      }
      for (let j = 0; j < dim; j++) out[row + j]! /= Math.sqrt(norm);
    }
  }
  return out;
}

/** The pytorch-lifestream formulation: gathered rows, per-pair Euclidean distances, summed. */
function gatherContrastive(x: tf.Tensor2D, mined: MinedIndices, margin: number): tf.Scalar {
  return tf.tidy(() => {
    const pairs = asPairs(mined);
    const distance = (i: Int32Array, j: Int32Array): tf.Tensor1D => {
      const diff = tf.sub(tf.gather(x, tf.tensor1d(i, 'int32')), tf.gather(x, tf.tensor1d(j, 'int32')));
      return tf.sqrt(tf.maximum(tf.sum(tf.square(diff), 1), 1e-12)) as tf.Tensor1D;
    };
    const pos = tf.sum(tf.square(distance(pairs.a1, pairs.p)));
    const neg = tf.sum(tf.square(tf.relu(tf.sub(margin, distance(pairs.a2, pairs.n)))));
    return tf.add(pos, neg);
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median (and minimum) ms of `step` (forward + backward + read-back) after 3 warm-up runs; also the last loss. */
function time(reps: number, step: () => number): { ms: number; min: number; loss: number } {
  const times: number[] = [];
  let loss = NaN;
  for (let i = 0; i < reps + 3; i++) {
    const start = performance.now();
    loss = step();
    if (i >= 3) times.push(performance.now() - start);
  }
  return { ms: median(times), min: Math.min(...times), loss };
}

function runTorch(file: string, clients: number, splits: number, dim: number, reps: number, threads: number): TorchResult | string {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'PyTorch not installed (apt-get install -y python3-torch libopenblas0-pthread)';
  const script = new URL('./bench_metric_torch.py', import.meta.url).pathname;
  const args = [script, '--embeddings', file, '--clients', `${clients}`, '--splits', `${splits}`, '--dim', `${dim}`, '--reps', `${reps}`, '--threads', `${threads}`];
  const run = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  if (run.status !== 0) return `PyTorch run failed: ${run.stderr.trim().split('\n').pop()}`;
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as TorchResult;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '20' },
      clients: { type: 'string', default: '64' },
      splits: { type: 'string', default: '5' },
      dim: { type: 'string', default: '256' },
      threads: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const reps = expectInteger('reps', Number(values.reps), 1);
  const clients = expectInteger('clients', Number(values.clients), 2);
  const splits = expectInteger('splits', Number(values.splits), 2);
  const dim = expectInteger('dim', Number(values.dim), 1);
  const threads = expectInteger('threads', Number(values.threads), 1, 64);
  const rounds = expectInteger('rounds', Number(values.rounds), 1, 20);
  const backend = await initBackend('wasm', { quiet: true });

  const data = clusteredEmbeddings(clients, splits, dim, 42);
  const labels = Int32Array.from({ length: clients * splits }, (_, i) => Math.floor(i / splits));
  const loss = createLoss(DEFAULT_LOSS, DEFAULT_MINER);
  const miner = loss.miner!;

  const taped = new ContrastiveLoss({ negMargin: 0.5 }, new TapedEuclidean(), miner);
  // Every step gets a fresh tensor, as training does (a new encoder output): nothing computed
  // for one step's embeddings (e.g. the cached squared distances) can be reused by the next.
  const fresh = (): tf.Tensor2D => tf.tensor2d(data, [clients * splits, dim]);
  const stepOf = (subject: BaseLoss) => (): number => {
    const e = fresh();
    const { value, grads } = tf.valueAndGrads((t: tf.Tensor) => subject.call(t as tf.Tensor2D, labels))([e]);
    grads[0]!.dataSync();
    const v = value.dataSync()[0]!;
    tf.dispose([e, value, grads[0]!]);
    return v;
  };
  const gatherStep = (): number => {
    const e = fresh();
    const mined = miner.mine(e, labels);
    const { value, grads } = tf.valueAndGrads((t: tf.Tensor) => gatherContrastive(t as tf.Tensor2D, mined, 0.5))([e]);
    grads[0]!.dataSync();
    const v = value.dataSync()[0]!;
    tf.dispose([e, value, grads[0]!]);
    return v;
  };
  const mineOnly = (): number => {
    const e = fresh();
    const count = asPairs(miner.mine(e, labels)).a2.length;
    e.dispose();
    return count;
  };

  // Rounds interleave tfjs and PyTorch so that load from other processes on the shared machine
  // hits both sides alike; ratios are taken per round, then their median is reported.
  const dir = mkdtempSync(join(tmpdir(), 'meles-bench-metric-'));
  const file = join(dir, 'embeddings.f32');
  writeFileSync(file, data);
  const ablation: { name: string; ms: number; loss: number }[] = [];
  const perRound: { stock: number; blas: number; blasMin: number; torch: TorchResult | string; loss: number }[] = [];
  let blasReason: string | undefined;
  try {
    for (let round = 0; round < rounds; round++) {
      disableNativeKernels();
      const stock = time(reps, stepOf(loss));
      if (round === 0) {
        ablation.push({ name: 'taped masks, stock wasm matMul', ...time(reps, stepOf(taped)) });
        ablation.push({ name: 'gather ablation, stock wasm matMul', ...time(reps, gatherStep) });
        ablation.push({ name: 'mining only, stock wasm matMul', ms: time(reps, mineOnly).ms, loss: NaN });
      }
      const status = enableNativeKernels({ threads });
      let blas = NaN;
      let blasMin = NaN;
      if (status.enabled) {
        ({ ms: blas, min: blasMin } = time(reps, stepOf(loss)));
        if (round === 0) {
          ablation.push({ name: `taped masks, OpenBLAS ${threads} thr`, ...time(reps, stepOf(taped)) });
          ablation.push({ name: `gather ablation, OpenBLAS ${threads} thr`, ...time(reps, gatherStep) });
          ablation.push({ name: `mining only, OpenBLAS ${threads} thr`, ms: time(reps, mineOnly).ms, loss: NaN });
        }
      } else {
        blasReason = status.reason;
      }
      perRound.push({ stock: stock.ms, blas, blasMin, torch: runTorch(file, clients, splits, dim, reps, threads), loss: stock.loss });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const leaked = tf.memory().numTensors;

  console.log(`contrastive (m 0.5, sum) + hard negatives (5): ${clients * splits} × ${dim} float32, forward + backward`);
  console.log(`tfjs backend ${backend}; median of ${reps} steps after 3 warm-up steps, ${rounds} rounds; tensors alive after all runs: ${leaked}`);
  if (blasReason !== undefined) console.log(`OpenBLAS kernels unavailable: ${blasReason}`);
  console.log('\n| round | meles default, stock wasm matMul | meles default, wasm + OpenBLAS matMul (initBackend default) | torch ptls code | torch ptls loss + cdist mining | ratio stock / cdist | ratio OpenBLAS / cdist | min OpenBLAS / min cdist |');
  console.log('|---|---|---|---|---|---|---|---|');
  const stockRatios: number[] = [];
  const blasRatios: number[] = [];
  perRound.forEach((r, i) => {
    const torch = typeof r.torch === 'string' ? undefined : r.torch;
    const cell = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(2));
    if (torch !== undefined) {
      stockRatios.push(r.stock / torch.cdist_ms_median);
      if (!Number.isNaN(r.blas)) blasRatios.push(r.blas / torch.cdist_ms_median);
    }
    const ratio = (v: number): string => (torch === undefined || Number.isNaN(v) ? '–' : `${(v / torch.cdist_ms_median).toFixed(2)}×`);
    const minRatio = torch === undefined || Number.isNaN(r.blasMin) ? '–' : `${r.blasMin.toFixed(2)} / ${torch.cdist_ms_min.toFixed(2)}`;
    console.log(`| ${i + 1} | ${cell(r.stock)} | ${cell(r.blas)} | ${cell(torch?.ptls_ms_median)} | ${cell(torch?.cdist_ms_median)} | ${ratio(r.stock)} | ${ratio(r.blas)} | ${minRatio} |`);
  });
  const first = perRound[0]!;
  if (typeof first.torch === 'string') {
    console.log(`\n${first.torch}`);
  } else {
    console.log(`\nmedian ratio over rounds: stock wasm ${median(stockRatios).toFixed(2)}×, OpenBLAS ${blasRatios.length > 0 ? `${median(blasRatios).toFixed(2)}×` : '–'} (${first.torch.engine}, ${first.torch.threads} thread)`);
    const relative = Math.abs(first.loss - first.torch.ptls_loss) / Math.abs(first.torch.ptls_loss);
    console.log(`loss: meles ${first.loss.toFixed(4)}, ptls code ${first.torch.ptls_loss.toFixed(4)}, cdist variant ${first.torch.cdist_loss.toFixed(4)} (relative difference ${relative.toExponential(2)})`);
  }
  console.log('\nablation (round 1):\n\n| variant | median ms | loss |\n|---|---|---|');
  for (const row of ablation) console.log(`| ${row.name} | ${row.ms.toFixed(2)} | ${Number.isNaN(row.loss) ? '–' : row.loss.toFixed(4)} |`);
}

await main();
