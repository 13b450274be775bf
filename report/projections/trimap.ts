/**
 * TriMap (Amid & Warmuth 2019, "TriMap: Large-scale Dimensionality Reduction Using Triplets"): a
 * 2-D embedding that satisfies weighted triplets "i is closer to j than to k" sampled from the
 * original space (see `triplets.ts`). It keeps more of the global layout (relative placement of
 * clusters, outliers) than t-SNE and UMAP, which is why the lecture ranks it by a global score too.
 *
 * No maintained pure-JS package exists on npm (`trimap`, `trimap-js`: not found), so this is
 * implemented from the paper and the facts of the authors' implementation:
 * - input scaled as a whole into [0, 1], then centred (keeps the shape, fixes the step size);
 * - initialisation: 0.01 × the 2-D PCA scores, so the start already has PCA's global layout;
 * - loss Σ ω · sₖ/(sⱼ + sₖ) over triplets, s = 1/(1 + d²) in the embedding;
 * - full-batch gradient descent with momentum, evaluated at the look-ahead point, and per-coordinate
 *   delta-bar-delta gains; learning rate 1000 · N / #triplets; 400 iterations by default.
 * Every random draw comes from a seeded {@link Rng}, so equal seeds give identical embeddings.
 * Cost: O(N²·D) exact neighbour search (fine up to ~2000 points) plus O(iterations · #triplets).
 */
import { Rng } from '../../data/random.js';
import { ShapeError } from '../../errors.js';
import { expectInteger, expectKnownKeys, expectNumber } from '../../options.js';
import { centreColumns, type Dense, pcaScores, toDense } from './dense.js';
import { sampleTriplets, type Triplets } from './triplets.js';

/** Options of {@link projectTrimap}. */
export interface TrimapOptions {
  /** Seed of the triplet sampling (the initialisation is PCA, not random). @defaultValue `42` */
  readonly seed?: number;
  /** Nearest neighbours per point that form triplets. @defaultValue `10` */
  readonly inliers?: number;
  /** Random outliers per nearest-neighbour pair. @defaultValue `5` */
  readonly outliers?: number;
  /** Extra uniformly random triplets per point. @defaultValue `5` */
  readonly random?: number;
  /** Gradient steps. @defaultValue `400` */
  readonly iterations?: number;
  /** Base learning rate, scaled by N / #triplets as in the paper. @defaultValue `1000` */
  readonly learningRate?: number;
}

/** A TriMap embedding: `x[i], y[i]` is row `i` of the input. */
export interface TrimapProjection {
  readonly x: Float64Array;
  readonly y: Float64Array;
  /** Wall-clock time in seconds, triplet sampling included. */
  readonly seconds: number;
  /** Final weighted loss Σ ω · sₖ/(sⱼ + sₖ), divided by the number of triplets. */
  readonly loss: number;
  /** Share of triplets whose far point ends up nearer to the anchor than the near point. */
  readonly violated: number;
}

const KNOWN = ['seed', 'inliers', 'outliers', 'random', 'iterations', 'learningRate'] as const;
/** Momentum switches from 0.5 to 0.8 after this many steps (look-ahead from 0.3 to 0.5). */
const SWITCH_ITERATION = 250;
const INIT_SCALE = 0.01;
const GAIN_INCREASE = 0.2;
const GAIN_DAMP = 0.8;
const MIN_GAIN = 0.01;

/** Projects rows to 2-D with TriMap, seeded. Needs at least `inliers + outliers + 2` rows. */
export function projectTrimap(rows: readonly (readonly number[])[], options: TrimapOptions = {}): TrimapProjection {
  expectKnownKeys('TriMap options', options, KNOWN);
  const seed = expectInteger('seed', options.seed ?? 42);
  const inliers = expectInteger('inliers', options.inliers ?? 10, 1);
  const outliers = expectInteger('outliers', options.outliers ?? 5, 1);
  const random = expectInteger('random', options.random ?? 5, 0);
  const iterations = expectInteger('iterations', options.iterations ?? 400, 0);
  const learningRate = expectNumber('learningRate', options.learningRate ?? 1000, Number.MIN_VALUE);
  const minRows = Math.max(inliers + outliers + 2, 4);
  if (rows.length < minRows) {
    throw new ShapeError(`TriMap with ${inliers} inliers and ${outliers} outliers needs at least ${minRows} rows, got ${rows.length}`);
  }

  const start = performance.now();
  const x = scaleAndCentre(toDense(rows, minRows));
  const triplets = sampleTriplets(x, { inliers, outliers, random }, new Rng(seed));
  const init = pcaScores(x, 2);
  const y = new Float64Array(init.rows * 2);
  for (let v = 0; v < y.length; v++) y[v] = INIT_SCALE * init.data[v]!;
  optimise(y, triplets, iterations, (learningRate * x.rows) / triplets.anchor.length);

  const grad = new Float64Array(y.length);
  const { loss, violated } = lossAndGradient(y, triplets, grad);
  const n = x.rows;
  return {
    x: Float64Array.from({ length: n }, (_, i) => y[2 * i]!),
    y: Float64Array.from({ length: n }, (_, i) => y[2 * i + 1]!),
    seconds: (performance.now() - start) / 1000,
    loss: loss / triplets.anchor.length,
    violated: violated / triplets.anchor.length,
  };
}

/**
 * Weighted TriMap loss of the embedding `y` (N×2, row-major) and its gradient, written into
 * `grad`. The gradient omits the constant factor 2 of d(d²)/dy, as the reference does: the
 * learning rate absorbs it. Exported for the gradient check in the tests.
 */
export function lossAndGradient(y: Float64Array, t: Triplets, grad: Float64Array): { loss: number; violated: number } {
  grad.fill(0);
  let loss = 0;
  let violated = 0;
  for (let s = 0; s < t.anchor.length; s++) {
    const i = 2 * t.anchor[s]!;
    const j = 2 * t.near[s]!;
    const k = 2 * t.far[s]!;
    const ijx = y[i]! - y[j]!;
    const ijy = y[i + 1]! - y[j + 1]!;
    const ikx = y[i]! - y[k]!;
    const iky = y[i + 1]! - y[k + 1]!;
    const dij = 1 + ijx * ijx + ijy * ijy;
    const dik = 1 + ikx * ikx + iky * iky;
    if (dij > dik) violated++;
    const w = t.weight[s]!;
    // sₖ/(sⱼ + sₖ) with s = 1/d equals dⱼ/(dⱼ + dₖ).
    loss += (w * dij) / (dij + dik);
    const scale = w / ((dij + dik) * (dij + dik));
    const gsx = ijx * dik * scale;
    const gsy = ijy * dik * scale;
    const gox = ikx * dij * scale;
    const goy = iky * dij * scale;
    grad[i] = grad[i]! + gsx - gox;
    grad[i + 1] = grad[i + 1]! + gsy - goy;
    grad[j] = grad[j]! - gsx;
    grad[j + 1] = grad[j + 1]! - gsy;
    grad[k] = grad[k]! + gox;
    grad[k + 1] = grad[k + 1]! + goy;
  }
  return { loss, violated };
}

/** Momentum gradient descent with delta-bar-delta gains (the paper's optimiser), in place on `y`. */
function optimise(y: Float64Array, triplets: Triplets, iterations: number, lr: number): void {
  const velocity = new Float64Array(y.length);
  const gain = new Float64Array(y.length).fill(1);
  const grad = new Float64Array(y.length);
  const ahead = new Float64Array(y.length);
  for (let it = 0; it < iterations; it++) {
    const late = it > SWITCH_ITERATION;
    const lookAhead = late ? 0.5 : 0.3;
    const momentum = late ? 0.8 : 0.5;
    for (let v = 0; v < y.length; v++) ahead[v] = y[v]! + lookAhead * velocity[v]!;
    lossAndGradient(ahead, triplets, grad);
    for (let v = 0; v < y.length; v++) {
      // Delta-bar-delta: while a coordinate keeps moving downhill (velocity opposite to the
      // gradient) its gain grows; once the gradient agrees with the velocity the last step
      // overshot, and the gain shrinks.
      gain[v] = Math.sign(velocity[v]!) !== Math.sign(grad[v]!) ? gain[v]! + GAIN_INCREASE : Math.max(gain[v]! * GAIN_DAMP, MIN_GAIN);
      velocity[v] = momentum * velocity[v]! - lr * gain[v]! * grad[v]!;
      y[v] = y[v]! + velocity[v]!;
    }
  }
}

/** x − min(x), divided by max, then centred per column: the reference's preprocessing. */
function scaleAndCentre(m: Dense): Dense {
  const data = Float64Array.from(m.data);
  let min = Infinity;
  for (const v of data) if (v < min) min = v;
  let max = 0;
  for (let v = 0; v < data.length; v++) {
    data[v] = data[v]! - min;
    if (data[v]! > max) max = data[v]!;
  }
  // All-equal input stays all zero rather than dividing by zero.
  if (max > 0) for (let v = 0; v < data.length; v++) data[v] = data[v]! / max;
  return centreColumns({ data, rows: m.rows, cols: m.cols });
}
