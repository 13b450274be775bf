/**
 * Exact t-SNE (van der Maaten & Hinton 2008) on flat `Float64Array`s, for the report's pictures.
 *
 * It is the algorithm of `@keckelt/tsne` (Karpathy's tsnejs) with the same defaults and, on
 * purpose, the same floating-point operations in the same order: per-point perplexity calibration
 * by binary search on the Gaussian precision (tolerance 1e-4, at most 50 tries), symmetrised P
 * floored at 1e-100, early exaggeration ×4 for the first 99 steps, per-coordinate gains (+0.2 /
 * ×0.8, at least 0.01), momentum 0.5 then 0.8 from step 250, learning rate 10, re-centring after
 * every step, and a start from N(0, 1e-4²) drawn row by row. So for the same random draws the
 * coordinates are the library's, bit for bit (see `tsne.test.ts`).
 *
 * Why not the library: it keeps the solution, gains and momentum as arrays of arrays, recomputes
 * a full N×N Q matrix and the cost (N² logarithms) on every step although nobody reads the cost,
 * and evaluates every pair twice. Here one step is one pass over the upper triangle for the
 * (symmetric) kernel plus one row-major pass for the gradient sums, which keeps the library's
 * summation order. For 700 rows × 64 columns × 300 steps it takes about a fifth of the
 * library's CPU time.
 *
 * Cost: O(N²) memory (two N×N matrices) and O(N²) time per step, so callers project a sample.
 */
import { ShapeError } from '../../errors.js';
import { expectInteger, expectNumber } from '../../options.js';

/** Options of {@link tsne}. */
export interface TsneOptions {
  /** Effective number of neighbours each point's Gaussian is calibrated to. @defaultValue `30` */
  readonly perplexity?: number;
  /** Gradient steps. @defaultValue `300` */
  readonly steps?: number;
  /** Learning rate. @defaultValue `10` */
  readonly epsilon?: number;
  /**
   * Standard normal numbers for the random start (e.g. `() => rng.normal()`); called `2·N` times,
   * row by row (x then y), like the library's `gaussRandom`.
   */
  readonly normal: () => number;
}

/** A 2-D t-SNE solution: `x[i], y[i]` is row `i`. */
export interface TsnePlane {
  readonly x: Float64Array;
  readonly y: Float64Array;
}

/** Binary-search tolerance on the entropy and tries per point, as in the library. */
const ENTROPY_TOLERANCE = 1e-4;
const MAX_TRIES = 50;
/** Steps with early exaggeration (the library exaggerates while its step counter is below 100). */
const EXAGGERATED_STEPS = 99;
/** Steps with momentum 0.5 before it becomes 0.8 (counter below 250). */
const LOW_MOMENTUM_STEPS = 249;

/**
 * Embeds the rows of `data` (`rows × cols`, row-major) in the plane with exact t-SNE.
 * @throws ShapeError when `data.length` is not `rows × cols` or there are fewer than 2 rows;
 *   ConfigError when `perplexity` < 1, `steps` < 0 or `epsilon` <= 0.
 */
export function tsne(data: Float64Array, rows: number, cols: number, options: TsneOptions): TsnePlane {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 2 || cols < 1 || data.length !== rows * cols) {
    throw new ShapeError(`t-SNE needs at least 2 rows of at least 1 column, got ${data.length} values for ${rows} × ${cols}`);
  }
  const perplexity = expectNumber('perplexity', options.perplexity ?? 30, 1);
  const steps = expectInteger('steps', options.steps ?? 300, 0);
  const epsilon = expectNumber('epsilon', options.epsilon ?? 10, Number.MIN_VALUE);
  const p = jointProbabilities(squaredDistances(data, rows, cols), rows, perplexity);
  const solution = startingPoints(rows, options.normal);
  const state = new GradientState(rows);
  for (let step = 1; step <= steps; step++) gradientStep(p, solution, state, step, epsilon);
  const x = new Float64Array(rows);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    x[i] = solution[2 * i]!;
    y[i] = solution[2 * i + 1]!;
  }
  return { x, y };
}

/** Full symmetric matrix of squared Euclidean distances (the library's `xtod`). */
function squaredDistances(data: Float64Array, n: number, cols: number): Float64Array {
  const dist = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = i * cols;
    for (let j = i + 1; j < n; j++) {
      const b = j * cols;
      let d = 0;
      for (let k = 0; k < cols; k++) {
        const diff = data[a + k]! - data[b + k]!;
        d += diff * diff;
      }
      dist[i * n + j] = d;
      dist[j * n + i] = d;
    }
  }
  return dist;
}

/**
 * Conditional probabilities p(j|i) with each row's precision found by binary search so that its
 * entropy is log(perplexity), then symmetrised: P_ij = max((p(j|i) + p(i|j)) / 2N, 1e-100).
 * Written over the distance matrix, which it then no longer needs.
 */
function jointProbabilities(dist: Float64Array, n: number, perplexity: number): Float64Array {
  const target = Math.log(perplexity);
  const conditional = new Float64Array(n * n);
  const prow = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let betaMin = -Infinity;
    let betaMax = Infinity;
    let beta = 1;
    for (let tries = 1; ; tries++) {
      let psum = 0;
      for (let j = 0; j < n; j++) {
        const pj = j === i ? 0 : Math.exp(-dist[row + j]! * beta);
        prow[j] = pj;
        psum += pj;
      }
      let entropy = 0;
      for (let j = 0; j < n; j++) {
        const pj = psum === 0 ? 0 : prow[j]! / psum;
        prow[j] = pj;
        if (pj > 1e-7) entropy -= pj * Math.log(pj);
      }
      // Too diffuse: sharpen (raise the precision); too peaked: widen.
      if (entropy > target) {
        betaMin = beta;
        beta = betaMax === Infinity ? beta * 2 : (beta + betaMax) / 2;
      } else {
        betaMax = beta;
        beta = betaMin === -Infinity ? beta / 2 : (beta + betaMin) / 2;
      }
      if (Math.abs(entropy - target) < ENTROPY_TOLERANCE || tries >= MAX_TRIES) break;
    }
    conditional.set(prow, row);
  }
  const joint = dist;
  const twoN = n * 2;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) joint[i * n + j] = Math.max((conditional[i * n + j]! + conditional[j * n + i]!) / twoN, 1e-100);
  }
  return joint;
}

/** Interleaved (x, y) start, `0 + normal() · 1e-4` per coordinate as the library's `randn`. */
function startingPoints(n: number, normal: () => number): Float64Array {
  const solution = new Float64Array(2 * n);
  for (let k = 0; k < 2 * n; k++) solution[k] = 0 + normal() * 1e-4;
  return solution;
}

/** Per-step scratch and optimiser state, allocated once. */
class GradientState {
  /** Student-t kernel q_ij = 1 / (1 + |y_i − y_j|²) of every pair (symmetric; diagonal unused). */
  readonly kernel: Float64Array;
  readonly grad: Float64Array;
  readonly gains: Float64Array;
  readonly momentum: Float64Array;

  constructor(n: number) {
    this.kernel = new Float64Array(n * n);
    this.grad = new Float64Array(2 * n);
    this.gains = new Float64Array(2 * n).fill(1);
    this.momentum = new Float64Array(2 * n);
  }
}

/** One optimisation step (the library's `step` and `costGrad`, without the unused cost). */
function gradientStep(p: Float64Array, y: Float64Array, state: GradientState, step: number, epsilon: number): void {
  const n = y.length / 2;
  const { kernel, grad, gains, momentum } = state;
  const exaggeration = step <= EXAGGERATED_STEPS ? 4 : 1;
  let qsum = 0;
  for (let i = 0; i < n; i++) {
    const xi = y[2 * i]!;
    const yi = y[2 * i + 1]!;
    for (let j = i + 1; j < n; j++) {
      const dx = xi - y[2 * j]!;
      const dy = yi - y[2 * j + 1]!;
      // Summed from 0 like the library's loop over dimensions, so the bits agree.
      const q = 1.0 / (1.0 + (0.0 + dx * dx + dy * dy));
      kernel[i * n + j] = q;
      kernel[j * n + i] = q;
      qsum += 2 * q;
    }
  }
  // Row sums in j order, as the library accumulates them; the diagonal, which adds exactly 0
  // there, is skipped by summing the two sides of it separately.
  for (let i = 0; i < n; i++) {
    addGradientTerms(p, kernel, y, i, 0, i, qsum, exaggeration, grad, 0, 0);
    addGradientTerms(p, kernel, y, i, i + 1, n, qsum, exaggeration, grad, grad[2 * i]!, grad[2 * i + 1]!);
  }
  const momentumRate = step <= LOW_MOMENTUM_STEPS ? 0.5 : 0.8;
  let meanX = 0;
  let meanY = 0;
  for (let k = 0; k < 2 * n; k++) {
    const g = grad[k]!;
    const previous = momentum[k]!;
    // Gradient and last step of the same sign: the descent direction reversed, so shrink the
    // gain; otherwise the point keeps moving the same way, so grow it.
    let gain = sign(g) === sign(previous) ? gains[k]! * 0.8 : gains[k]! + 0.2;
    if (gain < 0.01) gain = 0.01;
    gains[k] = gain;
    const move = momentumRate * previous - epsilon * gain * g;
    momentum[k] = move;
    y[k] = y[k]! + move;
    if (k % 2 === 0) meanX += y[k]!;
    else meanY += y[k]!;
  }
  for (let i = 0; i < n; i++) {
    y[2 * i] = y[2 * i]! - meanX / n;
    y[2 * i + 1] = y[2 * i + 1]! - meanY / n;
  }
}

/**
 * Adds 4·(exaggeration·P_ij − Q_ij)·q_ij·(y_i − y_j) for j in [from, to) to (gx, gy) in j order
 * and stores the sums as row i's gradient; Q_ij = max(q_ij / qsum, 1e-100).
 */
function addGradientTerms(
  p: Float64Array, kernel: Float64Array, y: Float64Array, i: number, from: number, to: number,
  qsum: number, exaggeration: number, grad: Float64Array, gx0: number, gy0: number,
): void {
  const row = i * (y.length / 2);
  const xi = y[2 * i]!;
  const yi = y[2 * i + 1]!;
  let gx = gx0;
  let gy = gy0;
  for (let j = from; j < to; j++) {
    const q = kernel[row + j]!;
    const m = 4 * (exaggeration * p[row + j]! - Math.max(q / qsum, 1e-100)) * q;
    gx += m * (xi - y[2 * j]!);
    gy += m * (yi - y[2 * j + 1]!);
  }
  grad[2 * i] = gx;
  grad[2 * i + 1] = gy;
}

/** The library's sign: 1, −1, or 0 (also for NaN, unlike `Math.sign`). */
function sign(v: number): number {
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}
