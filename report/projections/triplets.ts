/**
 * TriMap's triplets and their weights (Amid & Warmuth 2019, section 3). A triplet (i, j, k) says
 * "point i is closer to j than to k". Two kinds are sampled:
 *
 * - nearest-neighbour triplets: for each point, its `inliers` most similar neighbours (similarity
 *   by the scaled distance d²ᵢⱼ / (σᵢσⱼ), which adapts to local density), each paired with
 *   `outliers` random points that are not among the first neighbours;
 * - random triplets: `random` per point, two uniformly random points ordered by similarity. These
 *   carry the global layout that neighbour triplets alone cannot.
 *
 * Weights grow with how much closer j is than k (pⱼ/pₖ with p = exp(−scaled distance)), then are
 * damped by ω = log(1 + 500·(w / max w + 0.0001)) and renormalised to max 1, as in the authors'
 * implementation: without the log, a few triplets with huge ratios would drive the whole embedding.
 *
 * Neighbours are found exactly by brute force, O(N²·D): fine for the report's samples (up to
 * ~2000 points); the reference implementation uses an approximate index only for larger data.
 */
import type { Rng } from '../../data/random.js';
import { type Dense, squaredDistance, squaredDistancesFrom } from './dense.js';

/** Sampled triplets: triplet `t` is `(anchor[t], near[t], far[t])` with weight `weight[t]`. */
export interface Triplets {
  readonly anchor: Int32Array;
  readonly near: Int32Array;
  readonly far: Int32Array;
  readonly weight: Float64Array;
}

/** Counts of sampled triplets per point. */
export interface TripletCounts {
  readonly inliers: number;
  readonly outliers: number;
  readonly random: number;
}

/** Neighbours searched per point: enough for the inliers and for σ, as the reference's 50. */
const MIN_NEIGHBOURS = 50;
/** σᵢ is the mean distance to the 4th, 5th and 6th nearest neighbours (0-based 3..5, self excluded). */
const SIGMA_FROM = 3;
const SIGMA_TO = 6;
/** Floor of a similarity, so that a ratio of two of them stays finite (the reference's 1e-20). */
const MIN_LOG_SIMILARITY = Math.log(1e-20);
/** Strength of the log damping of the weights (the reference's `weight_adj`). */
const WEIGHT_ADJUST = 500;

/** The `count` nearest neighbours of each point (self excluded), nearest first, with distances. */
export function nearestNeighbours(m: Dense, count: number): { index: Int32Array; distance: Float64Array } {
  const n = m.rows;
  const index = new Int32Array(n * count);
  const distance = new Float64Array(n * count);
  const row = new Float64Array(n);
  const order = new Int32Array(n - 1);
  for (let i = 0; i < n; i++) {
    squaredDistancesFrom(m, i, row);
    let w = 0;
    for (let j = 0; j < n; j++) if (j !== i) order[w++] = j;
    // Ties go to the lower index, so the neighbour lists do not depend on the sort's stability.
    order.sort((a, b) => row[a]! - row[b]! || a - b);
    for (let r = 0; r < count; r++) {
      index[i * count + r] = order[r]!;
      distance[i * count + r] = Math.sqrt(row[order[r]!]!);
    }
  }
  return { index, distance };
}

/**
 * Samples TriMap's nearest-neighbour and random triplets of the rows of `m` and weights them.
 * Needs `m.rows >= inliers + outliers + 2` so every inlier has enough outlier candidates.
 */
export function sampleTriplets(m: Dense, counts: TripletCounts, rng: Rng): Triplets {
  const n = m.rows;
  const k = Math.min(Math.max(counts.inliers, MIN_NEIGHBOURS), n - 1);
  const { index, distance } = nearestNeighbours(m, k);
  const sigma = localScales(distance, n, k);

  const perPoint = counts.inliers * counts.outliers + counts.random;
  const total = n * perPoint;
  const anchor = new Int32Array(total);
  const near = new Int32Array(total);
  const far = new Int32Array(total);
  const logWeight = new Float64Array(total);
  const logSim = (i: number, j: number, d2: number): number => Math.max(-d2 / (sigma[i]! * sigma[j]!), MIN_LOG_SIMILARITY);

  let t = 0;
  const similarity = new Float64Array(k);
  const ranked = new Int32Array(k);
  const excluded = new Set<number>();
  for (let i = 0; i < n; i++) {
    // Rank the neighbours by scaled similarity, which can reorder the plain-distance ranking.
    for (let r = 0; r < k; r++) {
      const d = distance[i * k + r]!;
      similarity[r] = logSim(i, index[i * k + r]!, d * d);
      ranked[r] = r;
    }
    ranked.sort((a, b) => similarity[b]! - similarity[a]! || a - b);
    excluded.clear();
    excluded.add(i);
    for (let a = 0; a < counts.inliers; a++) {
      const j = index[i * k + ranked[a]!]!;
      const logSimJ = similarity[ranked[a]!]!;
      // Outliers may not be the point itself nor any neighbour at least as similar as j.
      excluded.add(j);
      const chosen = new Set<number>();
      while (chosen.size < counts.outliers) {
        const o = rng.int(0, n - 1);
        if (!excluded.has(o) && !chosen.has(o)) chosen.add(o);
      }
      for (const o of chosen) {
        anchor[t] = i;
        near[t] = j;
        far[t] = o;
        logWeight[t] = logSimJ - logSim(i, o, squaredDistance(m, i, o));
        t++;
      }
    }
    for (let r = 0; r < counts.random; r++) {
      let j = rng.int(0, n - 2);
      if (j >= i) j++;
      let o = rng.int(0, n - 3);
      if (o >= Math.min(i, j)) o++;
      if (o >= Math.max(i, j)) o++;
      let sj = logSim(i, j, squaredDistance(m, i, j));
      let so = logSim(i, o, squaredDistance(m, i, o));
      if (sj < so) [j, o, sj, so] = [o, j, so, sj];
      anchor[t] = i;
      near[t] = j;
      far[t] = o;
      logWeight[t] = sj - so;
      t++;
    }
  }
  return { anchor, near, far, weight: dampWeights(logWeight) };
}

/** σᵢ per point: mean distance to its 4th–6th neighbours, floored so scaled distances stay finite. */
function localScales(distance: Float64Array, n: number, k: number): Float64Array {
  const sigma = new Float64Array(n);
  const to = Math.min(SIGMA_TO, k);
  const from = Math.min(SIGMA_FROM, to - 1);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let r = from; r < to; r++) sum += distance[i * k + r]!;
    sigma[i] = Math.max(sum / (to - from), 1e-10);
  }
  return sigma;
}

/** ω = log(1 + 500·(w / max w + 0.0001)), normalised to max 1; `logWeight` holds log w. */
function dampWeights(logWeight: Float64Array): Float64Array {
  let maxLog = -Infinity;
  for (const v of logWeight) if (v > maxLog) maxLog = v;
  const out = new Float64Array(logWeight.length);
  let maxOut = 0;
  for (let t = 0; t < logWeight.length; t++) {
    // w / max w computed as exp(log w − log max w): the ratios themselves can reach 1e40.
    const v = Math.log(1 + WEIGHT_ADJUST * (Math.exp(logWeight[t]! - maxLog) + 0.0001));
    out[t] = v;
    if (v > maxOut) maxOut = v;
  }
  for (let t = 0; t < out.length; t++) out[t] = out[t]! / maxOut;
  return out;
}
