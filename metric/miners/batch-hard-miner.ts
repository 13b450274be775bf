/**
 * Batch-hard triplets (Hermans et al.; PML `BatchHardMiner`): for each anchor with at least one
 * positive and one negative, its farthest positive and its closest negative. At most one triplet
 * per row. Ties go to the lower index.
 */
import type { BaseDistance } from '../distances/base-distance.js';
import { EuclideanDistance } from '../distances/euclidean-distance.js';
import type { MinedTriplets } from '../mined-indices.js';
import { BaseMiner, type MiningInput } from './base-miner.js';

/** The hardest positive and hardest negative of each anchor. */
export class BatchHardMiner extends BaseMiner {
  /** @param distance - ranks candidates. @defaultValue `new EuclideanDistance()` */
  constructor(distance: BaseDistance = new EuclideanDistance()) {
    super(distance);
  }

  protected compute({ ranking: matrix, size, labels }: MiningInput): MinedTriplets {
    const a: number[] = [];
    const p: number[] = [];
    const n: number[] = [];
    for (let i = 0; i < size; i++) {
      let hardestPos = -1;
      let hardestNeg = -1;
      for (let j = 0; j < size; j++) {
        if (j === i) continue;
        const value = matrix[i * size + j]!;
        if (labels[j] === labels[i]) {
          if (hardestPos < 0 || this.distance.closer(matrix[i * size + hardestPos]!, value)) hardestPos = j;
        } else if (hardestNeg < 0 || this.distance.closer(value, matrix[i * size + hardestNeg]!)) {
          hardestNeg = j;
        }
      }
      if (hardestPos < 0 || hardestNeg < 0) continue;
      a.push(i);
      p.push(hardestPos);
      n.push(hardestNeg);
    }
    return { kind: 'triplets', a: Int32Array.from(a), p: Int32Array.from(p), n: Int32Array.from(n) };
  }
}
