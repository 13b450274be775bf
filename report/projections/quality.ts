/**
 * Quality scores of a 2-D projection, as the TriMap paper (Amid & Warmuth 2019) and the lecture's
 * slide report them, "(AUC, GS)":
 *
 * - local score: area under the R_NX(K) curve on a log scale of K (Lee, Peluffo-Ordóñez &
 *   Verleysen 2015). Q_NX(K) is the share of each point's K nearest neighbours in the original
 *   space that are also among its K nearest in the projection, averaged over points; R_NX(K) =
 *   ((N−1)·Q_NX(K) − K) / (N−1−K) rescales it so that a random projection scores 0 and a
 *   perfect one 1; the area weights each K by 1/K (so small neighbourhoods count most) and is
 *   divided by Σ 1/K. Range: 1 for perfect, about 0 for random (slightly below 0 is possible).
 * - global score: GS(Y) = exp(−(MRE(Y) − MRE_PCA) / MRE_PCA), where MRE(Y) is the minimum
 *   relative error of reconstructing the centred data X from the centred embedding Y by a linear
 *   map (least squares) and MRE_PCA that of the 2-D PCA scores. PCA has the smallest such error
 *   of any 2-D embedding (Eckart–Young), so PCA scores 1 and everything else (0, 1].
 *
 * Cost: the local score ranks all N points from each point in both spaces, O(N²·(D + log N));
 * fine for the report's samples (up to ~2000 points).
 */
import { ShapeError } from '../../errors.js';
import { centreColumns, type Dense, fromXY, pcaScores, squaredDistancesFrom, toDense } from './dense.js';

/** The two scores of one projection. */
export interface ProjectionScores {
  /** Local score: log-K area under the R_NX(K) neighbourhood-preservation curve; 1 is perfect. */
  readonly local: number;
  /** Global score GS = exp(−(MRE − MRE_PCA)/MRE_PCA); PCA scores 1. */
  readonly global: number;
}

/** Coordinates of a projection: `x[i], y[i]` is row `i` of the original data. */
export interface PlanePoints {
  readonly x: Float64Array;
  readonly y: Float64Array;
}

/** Local and global score of the projection `low` of the rows `high`. */
export function projectionScores(high: readonly (readonly number[])[], low: PlanePoints): ProjectionScores {
  const x = toDense(high, 4);
  const y = checkedPlane(low, x.rows);
  return { local: areaUnderCurve(neighbourhoodCurves(x, y)), global: globalScoreOf(x, y, minimumReconstructionError(x, pcaScores(x, 2))) };
}

/**
 * Scores several projections of the same rows, computing the PCA reference of the global score
 * once. Keys of the result are the keys of `projections`.
 */
export function scoreAll<K extends string>(
  high: readonly (readonly number[])[],
  projections: Readonly<Record<K, PlanePoints>>,
): Record<K, ProjectionScores> {
  const x = toDense(high, 4);
  const reference = minimumReconstructionError(x, pcaScores(x, 2));
  // The ranks in the original space are the same for every projection: rank them once.
  const highRanks = rankMatrix(x);
  const out = {} as Record<K, ProjectionScores>;
  for (const key of Object.keys(projections) as K[]) {
    const y = checkedPlane(projections[key], x.rows);
    out[key] = { local: areaUnderCurve(curvesFromRanks(highRanks, y)), global: globalScoreOf(x, y, reference) };
  }
  return out;
}

/**
 * The neighbourhood-preservation curves for K = 1 … N−2: `q[K−1]` = Q_NX(K) and `r[K−1]` =
 * R_NX(K). Exported so the report can draw the curve and the tests can check it against a naive
 * set intersection.
 */
export function neighbourhoodCurves(high: Dense, low: Dense): { q: Float64Array; r: Float64Array } {
  if (low.rows !== high.rows) throw new ShapeError(`Projection has ${low.rows} rows, the data ${high.rows}`);
  if (high.rows < 3) throw new ShapeError(`Neighbourhood curves need at least 3 rows, got ${high.rows}`);
  return curvesFromRanks(rankMatrix(high), low);
}

/**
 * {@link neighbourhoodCurves} with the original space's ranks already computed:
 * `highRanks[i·N + j]` is the rank of row j seen from row i ({@link rankMatrix}).
 */
function curvesFromRanks(highRanks: Int32Array, low: Dense): { q: Float64Array; r: Float64Array } {
  const n = low.rows;
  // shared[m] counts pairs (i, j) whose larger rank (high or low space) is m: such a j lies in
  // both K-neighbourhoods of i exactly when K >= m, so a prefix sum gives every |ν ∩ η| at once.
  const shared = new Float64Array(n);
  const lowRank = new Int32Array(n);
  const distances = new Float64Array(n);
  const order = new Int32Array(n - 1);
  for (let i = 0; i < n; i++) {
    ranksFrom(low, i, distances, order, lowRank);
    const row = i * n;
    for (let j = 0; j < n; j++) if (j !== i) shared[Math.max(highRanks[row + j]!, lowRank[j]!)]++;
  }
  const q = new Float64Array(n - 2);
  const r = new Float64Array(n - 2);
  let cumulative = 0;
  for (let k = 1; k <= n - 2; k++) {
    cumulative += shared[k]!;
    q[k - 1] = cumulative / (k * n);
    r[k - 1] = ((n - 1) * q[k - 1]! - k) / (n - 1 - k);
  }
  return { q, r };
}

/** Ranks of every row seen from every row: `ranks[i·N + j]` (N² integers, 16 MB for 2000 rows). */
function rankMatrix(m: Dense): Int32Array {
  const n = m.rows;
  const ranks = new Int32Array(n * n);
  const distances = new Float64Array(n);
  const order = new Int32Array(n - 1);
  for (let i = 0; i < n; i++) ranksFrom(m, i, distances, order, ranks.subarray(i * n, (i + 1) * n));
  return ranks;
}

/** Minimum relative linear reconstruction error ‖X − Y·A‖² / ‖X‖² over A, both sides centred. */
export function minimumReconstructionError(high: Dense, low: Dense): number {
  const x = centreColumns(high);
  const y = centreColumns(low);
  const d = y.cols;
  const D = x.cols;
  // Normal equations (YᵀY) A = YᵀX: a d×d system (d = 2 here) for all D right-hand sides at once.
  const gram = new Float64Array(d * d);
  const cross = new Float64Array(d * D);
  for (let i = 0; i < x.rows; i++) {
    for (let a = 0; a < d; a++) {
      const ya = y.data[i * d + a]!;
      for (let b = 0; b < d; b++) gram[a * d + b] = gram[a * d + b]! + ya * y.data[i * d + b]!;
      for (let c = 0; c < D; c++) cross[a * D + c] = cross[a * D + c]! + ya * x.data[i * D + c]!;
    }
  }
  const coef = solveSymmetric(gram, cross, d, D);
  let residual = 0;
  let total = 0;
  for (let i = 0; i < x.rows; i++) {
    for (let c = 0; c < D; c++) {
      let fit = 0;
      for (let a = 0; a < d; a++) fit += y.data[i * d + a]! * coef[a * D + c]!;
      const v = x.data[i * D + c]!;
      residual += (v - fit) * (v - fit);
      total += v * v;
    }
  }
  return total > 0 ? residual / total : 0;
}

/** Local score: the area under R_NX(K) with weights 1/K, divided by Σ 1/K. */
function areaUnderCurve({ r }: { r: Float64Array }): number {
  let area = 0;
  let norm = 0;
  for (let k = 1; k <= r.length; k++) {
    area += r[k - 1]! / k;
    norm += 1 / k;
  }
  return area / norm;
}

/** Relative errors below this count as exact: the data has no variance outside the plane. */
const EXACT = 1e-12;

function globalScoreOf(x: Dense, y: Dense, pcaError: number): number {
  const error = minimumReconstructionError(x, y);
  // Data that lies in a plane: PCA reconstructs it exactly, so only an exact embedding scores 1
  // (the limit of the formula as MRE_PCA → 0).
  if (pcaError < EXACT) return error < 1e-9 ? 1 : 0;
  // Eckart–Young makes MRE(Y) >= MRE_PCA; the clamp only removes rounding above 1.
  return Math.min(1, Math.exp(-(error - pcaError) / pcaError));
}

/** Ranks (1 = nearest, self = 0) of every row as seen from row `i`; ties go to the lower index. */
function ranksFrom(m: Dense, i: number, distances: Float64Array, order: Int32Array, rank: Int32Array): void {
  squaredDistancesFrom(m, i, distances);
  let w = 0;
  for (let j = 0; j < m.rows; j++) if (j !== i) order[w++] = j;
  order.sort((a, b) => distances[a]! - distances[b]! || a - b);
  rank[i] = 0;
  for (let p = 0; p < order.length; p++) rank[order[p]!] = p + 1;
}

function checkedPlane(low: PlanePoints, rows: number): Dense {
  const y = fromXY(low.x, low.y);
  if (y.rows !== rows) throw new ShapeError(`Projection has ${y.rows} points, the data ${rows} rows`);
  for (const v of y.data) if (!Number.isFinite(v)) throw new ShapeError('Projection has a non-finite coordinate');
  return y;
}

/**
 * Solves G·A = B for a small symmetric positive semi-definite G (d×d) and B (d×D) by Gauss–Jordan
 * elimination on the diagonal (no pivoting needed for such G). A diagonal pivot that is negligible
 * against G's trace means a degenerate embedding (say, all points on a line); for a
 * semi-definite G its whole row and column are then negligible too, so that direction gets
 * coefficient 0, which is still the least-squares optimum over the remaining directions.
 */
function solveSymmetric(gram: Float64Array, rhs: Float64Array, d: number, D: number): Float64Array {
  const g = Float64Array.from(gram);
  const b = Float64Array.from(rhs);
  let trace = 0;
  for (let a = 0; a < d; a++) trace += g[a * d + a]!;
  const tiny = 1e-12 * trace;
  const out = new Float64Array(d * D);
  const usable = new Uint8Array(d);
  for (let col = 0; col < d; col++) {
    const pivot = g[col * d + col]!;
    if (!(pivot > tiny)) continue;
    usable[col] = 1;
    for (let row = 0; row < d; row++) {
      if (row === col) continue;
      const f = g[row * d + col]! / pivot;
      if (f === 0) continue;
      for (let c = 0; c < d; c++) g[row * d + c] = g[row * d + c]! - f * g[col * d + c]!;
      for (let c = 0; c < D; c++) b[row * D + c] = b[row * D + c]! - f * b[col * D + c]!;
    }
  }
  for (let a = 0; a < d; a++) {
    if (!usable[a]) continue;
    for (let c = 0; c < D; c++) out[a * D + c] = b[a * D + c]! / g[a * d + a]!;
  }
  return out;
}
