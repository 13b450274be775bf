/**
 * Triplet margin miner (PML `TripletMarginMiner`): with t = d_an − d_ap (s_ap − s_an for
 * similarities) over every triplet, keeps
 * - `all`: t ≤ margin (every margin violator, not every triplet);
 * - `hard`: t ≤ 0;
 * - `semihard`: 0 < t ≤ margin;
 * - `easy`: t > margin.
 */
import { expectKnownKeys, expectNumber, expectOneOf } from '../../options.js';
import type { BaseDistance } from '../distances/base-distance.js';
import { EuclideanDistance } from '../distances/euclidean-distance.js';
import type { MinedTriplets } from '../mined-indices.js';
import { BaseMiner, type MiningInput } from './base-miner.js';

/** Which triplets {@link TripletMarginMiner} keeps. */
export type TripletType = 'all' | 'hard' | 'semihard' | 'easy';

/** Options of {@link TripletMarginMiner}. */
export interface TripletMarginMinerOptions {
  /** The margin in the definitions above. @defaultValue `0.2` */
  readonly margin: number;
  /** Which triplets to keep. @defaultValue `'all'` */
  readonly type: TripletType;
}

/** Defaults of {@link TripletMarginMiner} (PML). */
export const TRIPLET_MARGIN_MINER_DEFAULTS: TripletMarginMinerOptions = { margin: 0.2, type: 'all' };

/** Triplets selected by how much they violate the margin. */
export class TripletMarginMiner extends BaseMiner {
  /** The validated options. */
  readonly options: TripletMarginMinerOptions;

  /**
   * @param options - partial options; missing fields take {@link TRIPLET_MARGIN_MINER_DEFAULTS}.
   * @param distance - ranks triplets. @defaultValue `new EuclideanDistance()`
   */
  constructor(options: Partial<TripletMarginMinerOptions> = {}, distance: BaseDistance = new EuclideanDistance()) {
    super(distance);
    expectKnownKeys('triplet-margin miner options', options, Object.keys(TRIPLET_MARGIN_MINER_DEFAULTS));
    const o = { ...TRIPLET_MARGIN_MINER_DEFAULTS, ...options };
    expectNumber('margin', o.margin);
    expectOneOf('type', o.type, ['all', 'hard', 'semihard', 'easy'] as const);
    this.options = o;
  }

  protected compute({ matrix, size, labels }: MiningInput): MinedTriplets {
    const { margin, type } = this.options;
    const keep = KEEP[type];
    const sign = this.distance.isInverted ? -1 : 1;
    const a: number[] = [];
    const p: number[] = [];
    const n: number[] = [];
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        if (j === i || labels[j] !== labels[i]) continue;
        const ap = matrix[i * size + j]!;
        for (let k = 0; k < size; k++) {
          if (labels[k] === labels[i]) continue;
          if (!keep(sign * (matrix[i * size + k]! - ap), margin)) continue;
          a.push(i);
          p.push(j);
          n.push(k);
        }
      }
    }
    return { kind: 'triplets', a: Int32Array.from(a), p: Int32Array.from(p), n: Int32Array.from(n) };
  }
}

const KEEP: Record<TripletType, (t: number, margin: number) => boolean> = {
  all: (t, m) => t <= m,
  hard: (t, m) => t <= 0 && t <= m,
  semihard: (t, m) => t > 0 && t <= m,
  easy: (t, m) => t > m,
};
