/**
 * The miner template (PML `BaseMiner`): check shapes, read the pairwise matrix as plain numbers,
 * pick indices, check them. Miners work on detached values (`dataSync`), so no gradient can flow
 * through what they choose.
 */
import type * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import type { BaseDistance } from '../distances/base-distance.js';
import { checkMinedIndices, type MinedIndices } from '../mined-indices.js';

/** What a miner sees: the batch's pairwise matrix as numbers, plus labels. */
export interface MiningInput {
  /** Row-major `size × size` values of the miner's distance (computed on first use). */
  readonly matrix: Float32Array;
  /**
   * Row-major `size × size` values that order pairs exactly as {@link MiningInput.matrix} does
   * (squared distances for Euclidean: no square roots, shared with the loss). For miners that only
   * rank. Read-only. Computed on first use.
   */
  readonly ranking: Float32Array;
  /** Number of rows in the batch. */
  readonly size: number;
  /** Embedding width. */
  readonly dim: number;
  /** Class (client) label per row. */
  readonly labels: Int32Array;
}

/** Picks informative pairs or triplets from a batch. */
export abstract class BaseMiner {
  /** The distance used to rank candidates. */
  readonly distance: BaseDistance;

  /** @param distance - how candidates are compared. */
  constructor(distance: BaseDistance) {
    this.distance = distance;
  }

  /** Mines `embeddings` (`n × d`) with per-row `labels` (length `n`); never records gradients. */
  mine(embeddings: tf.Tensor2D, labels: Int32Array): MinedIndices {
    checkEmbeddings(embeddings, labels);
    const [size, dim] = embeddings.shape;
    const distance = this.distance;
    let matrix: Float32Array | undefined;
    let ranking: Float32Array | undefined;
    const mined = this.compute({
      size,
      dim,
      labels,
      get matrix(): Float32Array {
        return (matrix ??= distance.pairwiseValues(embeddings));
      },
      get ranking(): Float32Array {
        return (ranking ??= distance.rankingValues(embeddings));
      },
    });
    checkMinedIndices(mined, size);
    return mined;
  }

  /** The miner's selection rule. */
  protected abstract compute(input: MiningInput): MinedIndices;
}

/** Throws {@link ShapeError} unless `embeddings` is `n × d` and `labels` has `n` entries. */
export function checkEmbeddings(embeddings: tf.Tensor, labels: Int32Array): void {
  if (embeddings.rank !== 2) {
    throw new ShapeError(`embeddings must be a 2-D tensor of shape [batchSize, embeddingSize], got shape [${embeddings.shape}]`);
  }
  if (labels.length !== embeddings.shape[0]) {
    throw new ShapeError(`labels must have one entry per embedding row: expected ${embeddings.shape[0]}, got ${labels.length}`);
  }
}
