/**
 * Recall@K on one batch, as pytorch-lifestream's `BatchRecallTopK(K, metric='cosine')`: for each
 * row, the K most cosine-similar other rows; the share of them with the same label, averaged over
 * rows (hits / (n·K)). The row itself is excluded by index, so duplicates cannot hide it.
 */
import type * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors.js';
import { CosineSimilarity } from './distances/cosine-similarity.js';
import { checkEmbeddings } from './miners/base-miner.js';

/** Share of each row's `k` nearest neighbours (cosine, self excluded) that share its label. */
export function recallAtK(embeddings: tf.Tensor2D, labels: Int32Array, k = 4): number {
  checkEmbeddings(embeddings, labels);
  const size = labels.length;
  if (!Number.isInteger(k) || k < 1 || k > size - 1) {
    throw new ShapeError(`Expected \`k\` to be an integer in [1, ${size - 1}] for a batch of ${size}, got \`${k}\` (${typeof k})`);
  }
  const matrix = new CosineSimilarity().pairwiseValues(embeddings);
  const top = new Int32Array(k);
  let hits = 0;
  for (let i = 0; i < size; i++) {
    const row = i * size;
    let filled = 0;
    for (let j = 0; j < size; j++) {
      if (j === i) continue;
      const value = matrix[row + j]!;
      if (filled === k && !(value > matrix[row + top[k - 1]!]!)) continue;
      let at = filled < k ? filled++ : k - 1;
      while (at > 0 && value > matrix[row + top[at - 1]!]!) {
        top[at] = top[at - 1]!;
        at--;
      }
      top[at] = j;
    }
    for (let r = 0; r < k; r++) if (labels[top[r]!] === labels[i]) hits++;
  }
  return hits / (size * k);
}
