/**
 * Random negatives (pytorch-lifestream `RandomNegativeTripletSelector`): every positive pair
 * (a, p) with a < p gets one negative of `a`, chosen uniformly at random.
 */
import { Rng } from '../../data/random.js';
import type { BaseDistance } from '../distances/base-distance.js';
import { EuclideanDistance } from '../distances/euclidean-distance.js';
import type { MinedTriplets } from '../mined-indices.js';
import { BaseMiner, type MiningInput } from './base-miner.js';

/** One uniformly random negative per positive pair. */
export class RandomNegativeMiner extends BaseMiner {
  private readonly rng: Rng;

  /**
   * @param rng - seeded generator. @defaultValue `new Rng(0)`
   * @param distance - unused for selection; kept for the common miner shape. @defaultValue `new EuclideanDistance()`
   */
  constructor(rng: Rng = new Rng(0), distance: BaseDistance = new EuclideanDistance()) {
    super(distance);
    this.rng = rng;
  }

  protected compute({ size, labels }: MiningInput): MinedTriplets {
    const a: number[] = [];
    const p: number[] = [];
    const n: number[] = [];
    const negatives: number[] = [];
    for (let i = 0; i < size; i++) {
      negatives.length = 0;
      for (let k = 0; k < size; k++) if (labels[k] !== labels[i]) negatives.push(k);
      if (negatives.length === 0) continue;
      for (let j = i + 1; j < size; j++) {
        if (labels[j] !== labels[i]) continue;
        a.push(i);
        p.push(j);
        n.push(negatives[this.rng.int(0, negatives.length - 1)]!);
      }
    }
    return { kind: 'triplets', a: Int32Array.from(a), p: Int32Array.from(p), n: Int32Array.from(n) };
  }
}
