/**
 * Hard negative pairs (pytorch-lifestream `HardNegativePairSelector`, the MeLES default): every
 * positive pair i < j, plus for each anchor its `negCount` closest samples of other labels.
 * Unlike the reference, an anchor with fewer than `negCount` negatives gets only those (the
 * reference's top-k then lets same-label pairs slip in as "negatives").
 */
import { expectInteger, expectKnownKeys } from '../../options.js';
import type { BaseDistance } from '../distances/base-distance.js';
import { EuclideanDistance } from '../distances/euclidean-distance.js';
import type { MinedPairs } from '../mined-indices.js';
import { BaseMiner, type MiningInput } from './base-miner.js';

/** Options of {@link HardNegativePairMiner}. */
export interface HardNegativePairMinerOptions {
  /** Closest negatives kept per anchor. Minimum: `1`. @defaultValue `5` */
  readonly negCount: number;
}

/** Defaults of {@link HardNegativePairMiner} (MeLES experiments). */
export const HARD_NEGATIVE_DEFAULTS: HardNegativePairMinerOptions = { negCount: 5 };

/** All positive pairs plus the closest negatives of each anchor. */
export class HardNegativePairMiner extends BaseMiner {
  /** The validated options. */
  readonly options: HardNegativePairMinerOptions;

  /**
   * @param options - partial options; missing fields take {@link HARD_NEGATIVE_DEFAULTS}.
   * @param distance - ranks candidates. @defaultValue `new EuclideanDistance()`
   */
  constructor(options: Partial<HardNegativePairMinerOptions> = {}, distance: BaseDistance = new EuclideanDistance()) {
    super(distance);
    expectKnownKeys('hard-negative miner options', options, Object.keys(HARD_NEGATIVE_DEFAULTS));
    const o = { ...HARD_NEGATIVE_DEFAULTS, ...options };
    expectInteger('negCount', o.negCount, 1);
    this.options = o;
  }

  protected compute({ ranking: matrix, size, labels }: MiningInput): MinedPairs {
    const { a1, p } = positivePairs(labels, size);
    const k = this.options.negCount;
    // Rank r of anchor j goes to slot r * size + j: the reference's order (rank-major).
    const chosen = new Int32Array(k * size).fill(-1);
    const best = new Int32Array(k);
    for (let j = 0; j < size; j++) {
      const filled = nearestOthers(matrix, size, labels, j, k, best, this.distance.isInverted);
      for (let r = 0; r < filled; r++) chosen[r * size + j] = best[r]!;
    }
    const a2: number[] = [];
    const n: number[] = [];
    for (let slot = 0; slot < chosen.length; slot++) {
      if (chosen[slot]! < 0) continue;
      a2.push(slot % size);
      n.push(chosen[slot]!);
    }
    return { kind: 'pairs', a1, p, a2: Int32Array.from(a2), n: Int32Array.from(n) };
  }
}

/**
 * Every pair i < j of rows with equal labels, ordered by i then j (the order of a double loop over
 * all pairs), found through each label's rows instead of comparing all n² pairs.
 */
export function positivePairs(labels: Int32Array, size: number): { a1: Int32Array; p: Int32Array } {
  const rowsOf = new Map<number, number[]>();
  for (let i = 0; i < size; i++) {
    const rows = rowsOf.get(labels[i]!);
    if (rows === undefined) rowsOf.set(labels[i]!, [i]);
    else rows.push(i);
  }
  let count = 0;
  for (const rows of rowsOf.values()) count += (rows.length * (rows.length - 1)) / 2;
  const a1 = new Int32Array(count);
  const p = new Int32Array(count);
  // Position of row i within its label's (increasing) rows: the later ones pair with it.
  const rank = new Int32Array(size);
  for (const rows of rowsOf.values()) rows.forEach((row, r) => (rank[row] = r));
  let at = 0;
  for (let i = 0; i < size; i++) {
    const rows = rowsOf.get(labels[i]!)!;
    for (let r = rank[i]! + 1; r < rows.length; r++) {
      a1[at] = i;
      p[at++] = rows[r]!;
    }
  }
  return { a1, p };
}

/**
 * Writes into `out` the up-to-`k` rows closest to `anchor` among rows of other labels, closest
 * first (ties: lower index first), and returns how many were found. Insertion into a k-slot list:
 * k is small, so this beats sorting each row. Values are compared as `sign · value` (sign −1 for
 * similarities) instead of through a callback: this loop runs n² times per batch.
 */
export function nearestOthers(
  matrix: Float32Array,
  size: number,
  labels: Int32Array,
  anchor: number,
  k: number,
  out: Int32Array,
  inverted: boolean,
): number {
  const sign = inverted ? -1 : 1;
  const label = labels[anchor];
  let filled = 0;
  const row = anchor * size;
  for (let i = 0; i < size; i++) {
    if (labels[i] === label) continue;
    const value = sign * matrix[row + i]!;
    if (filled === k && !(value < sign * matrix[row + out[k - 1]!]!)) continue;
    let at = filled < k ? filled++ : k - 1;
    while (at > 0 && value < sign * matrix[row + out[at - 1]!]!) {
      out[at] = out[at - 1]!;
      at--;
    }
    out[at] = i;
  }
  return filled;
}
