/**
 * Hard triplets (pytorch-lifestream `HardTripletSelector`): every positive pair (a, p) with a < p,
 * combined with each of the `negCount` negatives closest to the anchor. The reference concatenates
 * `positive_pairs.repeat(neg_count)` (pair-major) with the negatives unbound anchor-major, so its
 * triplets mostly pair a positive pair with another pair's negatives; here each pair gets its own
 * anchor's negatives, which is what the class describes.
 */
import { expectInteger, expectKnownKeys } from '../../options.js';
import type { BaseDistance } from '../distances/base-distance.js';
import { EuclideanDistance } from '../distances/euclidean-distance.js';
import type { MinedTriplets } from '../mined-indices.js';
import { BaseMiner, type MiningInput } from './base-miner.js';
import { nearestOthers } from './hard-negative-pair-miner.js';

/** Options of {@link HardTripletMiner}. */
export interface HardTripletMinerOptions {
  /** Closest negatives per positive pair. Minimum: `1`. @defaultValue `1` */
  readonly negCount: number;
}

/** Positive pairs crossed with their anchor's closest negatives. */
export class HardTripletMiner extends BaseMiner {
  /** The validated options. */
  readonly options: HardTripletMinerOptions;

  /**
   * @param options - see {@link HardTripletMinerOptions}.
   * @param distance - ranks negatives. @defaultValue `new EuclideanDistance()`
   */
  constructor(options: Partial<HardTripletMinerOptions> = {}, distance: BaseDistance = new EuclideanDistance()) {
    super(distance);
    expectKnownKeys('hard-triplet miner options', options, ['negCount']);
    this.options = { negCount: expectInteger('negCount', options.negCount ?? 1, 1) };
  }

  protected compute({ ranking: matrix, size, labels }: MiningInput): MinedTriplets {
    const a: number[] = [];
    const p: number[] = [];
    const n: number[] = [];
    const best = new Int32Array(this.options.negCount);
    for (let i = 0; i < size; i++) {
      const found = nearestOthers(matrix, size, labels, i, this.options.negCount, best, this.distance.isInverted);
      for (let j = i + 1; j < size; j++) {
        if (labels[j] !== labels[i]) continue;
        for (let r = 0; r < found; r++) {
          a.push(i);
          p.push(j);
          n.push(best[r]!);
        }
      }
    }
    return { kind: 'triplets', a: Int32Array.from(a), p: Int32Array.from(p), n: Int32Array.from(n) };
  }
}
