/**
 * A fast path for pair losses whose terms are functions of plain Euclidean distances (the MeLES
 * default: contrastive loss with hard negatives). Instead of ~30 taped ops on `n × n` tensors, it
 * reads the squared-distance matrix once, sums the terms in a JS loop, and writes the gradient in
 * closed form over the mined pairs only:
 *
 *   G_ij = ∂L/∂sq_ij = (w⁺·φ⁺′(d) + w⁻·φ⁻′(d)) / (2d),  ∂L/∂x_i += 2·G_ij·(x_i − x_j),  ∂L/∂x_j −= 2·G_ij·(x_i − x_j)
 *
 * so the backward pass costs O(pairs · d) instead of taped `n × n` ops and matMuls. Values equal
 * the tensor path's (same squared distances, same floor under the square root); tests check both
 * against each other and against finite differences.
 */
import * as tf from '@tensorflow/tfjs';
import { SQRT_EPS, type BaseDistance } from '../distances/base-distance.js';
import { squaredDistanceValues } from '../distances/squared-distance-cache.js';
import { EuclideanDistance } from '../distances/euclidean-distance.js';
import type { MinedPairs } from '../mined-indices.js';

/** One pair term φ(d) with its derivative, in plain numbers. */
export interface PairTerm {
  /** φ(d). */
  value(d: number): number;
  /** φ′(d). */
  slope(d: number): number;
}

/** Sums and non-zero counts of the positive and negative terms (repeats counted). */
export interface PairTermStats {
  /** Σ over positive pairs of φ⁺(d), each pair times its count. */
  readonly posSum: number;
  /** Σ over negative pairs of φ⁻(d), each pair times its count. */
  readonly negSum: number;
  /** Number of positive pairs (with repeats) whose term is > 0. */
  readonly posNonZero: number;
  /** Number of negative pairs (with repeats) whose term is > 0. */
  readonly negNonZero: number;
}

/** Turns the forward statistics into the weights of the two sums: loss = wPos·posSum + wNeg·negSum. */
export type PairReduction = (stats: PairTermStats) => readonly [number, number];

/**
 * `wPos · Σ_P φ⁺(d) + wNeg · Σ_N φ⁻(d)` over Euclidean distances of the rows of `x`, with its
 * gradient. Loops run over the pair lists (a repeated pair counts each time), never over `n × n`.
 */
export function euclideanPairLoss(x: tf.Tensor2D, pairs: MinedPairs, pos: PairTerm, neg: PairTerm, reduce: PairReduction): tf.Scalar {
  const size = x.shape[0];
  const loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const rows = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    save([rows]);
    const sq = squaredDistanceValues(rows);
    const distance = (i: number, j: number): number => Math.sqrt(Math.max(sq[i * size + j]!, SQRT_EPS));
    let posSum = 0;
    let negSum = 0;
    let posNonZero = 0;
    let negNonZero = 0;
    for (let t = 0; t < pairs.a1.length; t++) {
      const v = pos.value(distance(pairs.a1[t]!, pairs.p[t]!));
      posSum += v;
      if (v > 0) posNonZero++;
    }
    for (let t = 0; t < pairs.a2.length; t++) {
      const v = neg.value(distance(pairs.a2[t]!, pairs.n[t]!));
      negSum += v;
      if (v > 0) negNonZero++;
    }
    const [wPos, wNeg] = reduce({ posSum, negSum, posNonZero, negNonZero });
    const value = tf.scalar(wPos * posSum + wNeg * negSum);
    const gradFunc = (dy: tf.Scalar, saved: tf.Tensor[]): tf.Tensor => {
      // ∂sq_ij/∂x_i = 2(x_i − x_j) and ∂sq_ij/∂x_j = −2(x_i − x_j); ∂d/∂sq = 1/(2d). Below the
      // floor the distance is constant, so those pairs add nothing (as in the tensor path).
      const xs = saved[0]!.dataSync() as Float32Array;
      const dim = saved[0]!.shape[1]!;
      const scale = 2 * (dy.dataSync()[0]! as number);
      const grad = new Float32Array(size * dim);
      const accumulate = (i: number, j: number, weight: number, term: PairTerm): void => {
        const s = sq[i * size + j]!;
        if (weight === 0 || !(s > SQRT_EPS)) return;
        const d = Math.sqrt(s);
        const g = (scale * weight * term.slope(d)) / (2 * d);
        if (g === 0) return;
        const rowI = i * dim;
        const rowJ = j * dim;
        for (let c = 0; c < dim; c++) {
          const step = g * (xs[rowI + c]! - xs[rowJ + c]!);
          grad[rowI + c]! += step;
          grad[rowJ + c]! -= step;
        }
      };
      for (let t = 0; t < pairs.a1.length; t++) accumulate(pairs.a1[t]!, pairs.p[t]!, wPos, pos);
      for (let t = 0; t < pairs.a2.length; t++) accumulate(pairs.a2[t]!, pairs.n[t]!, wNeg, neg);
      return tf.tensor2d(grad, [size, dim]);
    };
    return { value, gradFunc };
  });
  return loss(x) as tf.Scalar;
}

/** `[d − m]₊^power` for positives (distance above the margin costs). */
export function hingeAbove(margin: number, squared: boolean): PairTerm {
  return {
    value: (d) => (d > margin ? (squared ? (d - margin) ** 2 : d - margin) : 0),
    slope: (d) => (d > margin ? (squared ? 2 * (d - margin) : 1) : 0),
  };
}

/** `[m − d]₊^power` for negatives (distance below the margin costs). */
export function hingeBelow(margin: number, squared: boolean): PairTerm {
  return {
    value: (d) => (d < margin ? (squared ? (margin - d) ** 2 : margin - d) : 0),
    slope: (d) => (d < margin ? (squared ? -2 * (margin - d) : -1) : 0),
  };
}

/** True for an un-normalised {@link EuclideanDistance} itself (not a subclass): the fast path's condition. */
export function isPlainEuclidean(distance: BaseDistance): boolean {
  const exactClass: unknown = distance.constructor;
  return exactClass === EuclideanDistance && !distance.normalizeEmbeddings;
}
