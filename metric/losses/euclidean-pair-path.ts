/**
 * A fast path for pair losses whose terms are functions of plain Euclidean distances (the MeLES
 * default: contrastive loss with hard negatives). Instead of ~30 taped ops on `n × n` tensors, it
 * reads the squared-distance matrix once, sums the terms and their derivatives in a JS loop, and
 * writes the gradient in closed form:
 *
 *   G_ij = ∂L/∂sq_ij,  S = G + Gᵀ,  ∂L/∂x_k = 2·(Σ_j S_kj · x_k − (S·X)_k)
 *
 * so the backward pass is one `n × n · n × d` matMul. Values equal the tensor path's (same
 * squared distances, same floor under the square root); tests check both against each other and
 * against finite differences.
 */
import * as tf from '@tensorflow/tfjs';
import { SQRT_EPS, type BaseDistance } from '../distances/base-distance.js';
import { squaredDistanceValues } from '../distances/squared-distance-cache.js';
import { EuclideanDistance } from '../distances/euclidean-distance.js';
import type { PairMasks } from './pair-masks.js';

/** One pair term φ(d) with its derivative, in plain numbers. */
export interface PairTerm {
  /** φ(d). */
  value(d: number): number;
  /** φ′(d). */
  slope(d: number): number;
}

/** Sums and non-zero counts of the positive and negative terms (repeats counted). */
export interface PairTermStats {
  readonly posSum: number;
  readonly negSum: number;
  readonly posNonZero: number;
  readonly negNonZero: number;
}

/** Turns the forward statistics into the weights of the two sums: loss = wPos·posSum + wNeg·negSum. */
export type PairReduction = (stats: PairTermStats) => readonly [number, number];

/** `Σ_P φ⁺(d) · wPos + Σ_N φ⁻(d) · wNeg` over Euclidean distances of the rows of `x`, with its gradient. */
export function euclideanPairLoss(x: tf.Tensor2D, masks: PairMasks, pos: PairTerm, neg: PairTerm, reduce: PairReduction): tf.Scalar {
  const size = x.shape[0];
  const loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const rows = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    save([rows]);
    const sq = squaredDistanceValues(rows);
    let posSum = 0;
    let negSum = 0;
    let posNonZero = 0;
    let negNonZero = 0;
    for (let k = 0; k < sq.length; k++) {
      const wp = masks.pos[k]!;
      const wn = masks.neg[k]!;
      if (wp === 0 && wn === 0) continue;
      const d = Math.sqrt(Math.max(sq[k]!, SQRT_EPS));
      if (wp !== 0) {
        const v = pos.value(d);
        posSum += wp * v;
        if (v > 0) posNonZero += wp;
      }
      if (wn !== 0) {
        const v = neg.value(d);
        negSum += wn * v;
        if (v > 0) negNonZero += wn;
      }
    }
    const [wPos, wNeg] = reduce({ posSum, negSum, posNonZero, negNonZero });
    const value = tf.scalar(wPos * posSum + wNeg * negSum);
    const gradFunc = (dy: tf.Scalar, saved: tf.Tensor[]): tf.Tensor => {
      // G_ij = ∂L/∂sq_ij; below the floor the distance is constant, so G = 0 there (as in the tensor path).
      const symmetric = new Float32Array(size * size);
      const rowSums = new Float32Array(size);
      for (let i = 0; i < size; i++) {
        for (let j = 0; j < size; j++) {
          const k = i * size + j;
          const wp = masks.pos[k]!;
          const wn = masks.neg[k]!;
          if ((wp === 0 && wn === 0) || !(sq[k]! > SQRT_EPS)) continue;
          const d = Math.sqrt(sq[k]!);
          const g = ((wPos * wp * pos.slope(d) + wNeg * wn * neg.slope(d)) / (2 * d));
          if (g === 0) continue;
          symmetric[k]! += g;
          symmetric[j * size + i]! += g;
          rowSums[i]! += g;
          rowSums[j]! += g;
        }
      }
      return tf.tidy(() => {
        const xs = saved[0] as tf.Tensor2D;
        const s = tf.tensor2d(symmetric, [size, size]);
        const r = tf.tensor2d(rowSums, [size, 1]);
        return tf.mul(tf.mul(tf.sub(tf.mul(r, xs), tf.matMul(s, xs)), 2), dy);
      });
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
