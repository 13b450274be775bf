/**
 * Distance-weighted sampling (Wu et al. 2017; pytorch-lifestream `DistanceWeightedPairSelector`):
 * negatives are drawn with probability ∝ 1/q(d), the inverse density of distances between random
 * points on the unit sphere in `dim` dimensions:
 * `log w = (2 − dim)·ln d − ((dim − 3)/2)·ln(1 − d²/4)`, with d clamped to at least `cutoff` and
 * w = 0 for same-label rows and for d ≥ `nonzeroLossCutoff`. Each anchor gets all its ordered
 * positive pairs and as many negatives (drawn with replacement) as it has positives.
 * Differences from the reference: labels define the groups (no fixed `batch_k` blocks), and an
 * anchor with no weighted candidate falls back to uniform over its negatives (the reference draws
 * over all rows, positives included).
 */
import { Rng } from '../../data/random.js';
import { ConfigError } from '../../errors.js';
import { expectKnownKeys, expectNumber } from '../../options.js';
import type { BaseDistance } from '../distances/base-distance.js';
import { EuclideanDistance } from '../distances/euclidean-distance.js';
import type { MinedPairs } from '../mined-indices.js';
import { BaseMiner, type MiningInput } from './base-miner.js';

/** Options of {@link DistanceWeightedMiner}. */
export interface DistanceWeightedMinerOptions {
  /** Distances below this are treated as this (keeps weights bounded). Minimum: > 0. @defaultValue `0.5` */
  readonly cutoff: number;
  /** Negatives at or beyond this distance give no loss, so they are never drawn. @defaultValue `1.4` */
  readonly nonzeroLossCutoff: number;
}

/** Defaults of {@link DistanceWeightedMiner} (both references). */
export const DISTANCE_WEIGHTED_DEFAULTS: DistanceWeightedMinerOptions = { cutoff: 0.5, nonzeroLossCutoff: 1.4 };

/** Negatives sampled so that their distances spread evenly instead of piling up near √2. */
export class DistanceWeightedMiner extends BaseMiner {
  /** The validated options. */
  readonly options: DistanceWeightedMinerOptions;
  private readonly rng: Rng;

  /**
   * @param options - partial options; missing fields take {@link DISTANCE_WEIGHTED_DEFAULTS}.
   * @param rng - seeded generator. @defaultValue `new Rng(0)`
   * @param distance - must be Euclidean on unit vectors for the weights to mean anything.
   *   @defaultValue `new EuclideanDistance({ normalizeEmbeddings: true })`
   */
  constructor(
    options: Partial<DistanceWeightedMinerOptions> = {},
    rng: Rng = new Rng(0),
    distance: BaseDistance = new EuclideanDistance({ normalizeEmbeddings: true }),
  ) {
    super(distance);
    if (distance.isInverted) throw new ConfigError('DistanceWeightedMiner needs a Euclidean distance, not a similarity');
    expectKnownKeys('distance-weighted miner options', options, Object.keys(DISTANCE_WEIGHTED_DEFAULTS));
    const o = { ...DISTANCE_WEIGHTED_DEFAULTS, ...options };
    expectNumber('cutoff', o.cutoff, Number.MIN_VALUE);
    expectNumber('nonzeroLossCutoff', o.nonzeroLossCutoff, Number.MIN_VALUE);
    this.options = o;
    this.rng = rng;
  }

  protected compute({ matrix, size, dim, labels }: MiningInput): MinedPairs {
    const a1: number[] = [];
    const p: number[] = [];
    const a2: number[] = [];
    const n: number[] = [];
    const logWeights = new Float64Array(size);
    const weights = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      let positives = 0;
      let maxLog = -Infinity;
      for (let j = 0; j < size; j++) {
        logWeights[j] = -Infinity;
        if (j === i) continue;
        if (labels[j] === labels[i]) {
          a1.push(i);
          p.push(j);
          positives++;
          continue;
        }
        const d = matrix[i * size + j]!;
        if (!(d < this.options.nonzeroLossCutoff)) continue;
        logWeights[j] = logWeight(Math.max(d, this.options.cutoff), dim);
        if (logWeights[j]! > maxLog) maxLog = logWeights[j]!;
      }
      let total = 0;
      for (let j = 0; j < size; j++) {
        // Shift by the row maximum so the largest weight is 1 whatever the dimension.
        weights[j] = Number.isFinite(logWeights[j]!) ? Math.exp(logWeights[j]! - maxLog) : 0;
        total += weights[j]!;
      }
      if (!(total > 0)) {
        for (let j = 0; j < size; j++) weights[j] = labels[j] !== labels[i] ? 1 : 0;
        total = weights.reduce((sum, w) => sum + w, 0);
      }
      if (total === 0) continue;
      for (let draw = 0; draw < positives; draw++) {
        a2.push(i);
        n.push(sample(weights, total, this.rng));
      }
    }
    return { kind: 'pairs', a1: Int32Array.from(a1), p: Int32Array.from(p), a2: Int32Array.from(a2), n: Int32Array.from(n) };
  }
}

/** Log of the inverse sphere-distance density at distance `d` in `dim` dimensions. */
export function logWeight(d: number, dim: number): number {
  return (2 - dim) * Math.log(d) - ((dim - 3) / 2) * Math.log(Math.max(1 - 0.25 * d * d, 1e-8));
}

/** An index drawn with probability `weights[j] / total`. */
function sample(weights: Float64Array, total: number, rng: Rng): number {
  let u = rng.next() * total;
  let last = -1;
  for (let j = 0; j < weights.length; j++) {
    if (weights[j]! <= 0) continue;
    last = j;
    u -= weights[j]!;
    if (u < 0) return j;
  }
  return last;
}
