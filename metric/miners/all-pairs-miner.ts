/**
 * All pairs (pytorch-lifestream `AllPositivePairSelector`): every positive and negative pair
 * i < j; with `balance`, negatives are subsampled at random to the number of positives.
 */
import { Rng } from '../../data/random.js';
import { expectBoolean, expectKnownKeys } from '../../options.js';
import type { BaseDistance } from '../distances/base-distance.js';
import { EuclideanDistance } from '../distances/euclidean-distance.js';
import { allPairs, type MinedPairs } from '../mined-indices.js';
import { BaseMiner, type MiningInput } from './base-miner.js';

/** Options of {@link AllPairsMiner}. */
export interface AllPairsMinerOptions {
  /** Keep only as many (random) negatives as there are positives. @defaultValue `false` */
  readonly balance: boolean;
}

/** Every pair, optionally with negatives subsampled to the positive count. */
export class AllPairsMiner extends BaseMiner {
  /** The validated options. */
  readonly options: AllPairsMinerOptions;
  private readonly rng: Rng;

  /**
   * @param options - see {@link AllPairsMinerOptions}.
   * @param rng - seeded generator for balancing. @defaultValue `new Rng(0)`
   * @param distance - unused for selection; kept for the common miner shape. @defaultValue `new EuclideanDistance()`
   */
  constructor(options: Partial<AllPairsMinerOptions> = {}, rng: Rng = new Rng(0), distance: BaseDistance = new EuclideanDistance()) {
    super(distance);
    expectKnownKeys('all-pairs miner options', options, ['balance']);
    this.options = { balance: expectBoolean('balance', options.balance ?? false) };
    this.rng = rng;
  }

  protected compute({ labels }: MiningInput): MinedPairs {
    const pairs = allPairs(labels);
    if (!this.options.balance || pairs.a2.length <= pairs.a1.length) return pairs;
    const order = this.rng.shuffle(Int32Array.from(pairs.a2, (_, i) => i)).subarray(0, pairs.a1.length);
    return { ...pairs, a2: Int32Array.from(order, (i) => pairs.a2[i]!), n: Int32Array.from(order, (i) => pairs.n[i]!) };
  }
}
