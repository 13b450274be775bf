/**
 * Validation recall@4 on held-out clients (ptls `BatchRecallTopK(K=4)`): views of each client are
 * drawn with the validation splitter from a fixed seed, so epochs are compared on the same views.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../data/random.js';
import type { SequenceSet } from '../data/sequence-set.js';
import type { SequenceModel } from '../encoders/sequence-model.js';
import { recallAtK } from '../metric/recall-at-k.js';
import { collateViews } from '../sampling/collate.js';
import { createSplitter } from '../sampling/create-splitter.js';
import type { TrainingOptions } from './training-options.js';
import { mixSeed } from './seeds.js';

/** Mean recall@4 over validation batches, weighted by their number of views. */
export function validationRecall(model: SequenceModel, data: SequenceSet, clients: Int32Array, options: TrainingOptions): number {
  const splitter = createSplitter(options.validationSplitter);
  let weighted = 0;
  let views = 0;
  for (let start = 0, i = 0; start < clients.length; start += options.validationBatchSize, i++) {
    const part = clients.subarray(start, start + options.validationBatchSize);
    if (part.length < 2) continue;
    const batch = collateViews(data, part, splitter, new Rng(mixSeed(options.seed, -2, i)));
    if (batch.size < 5) continue;
    const embeddings = model.embed(batch);
    try {
      weighted += recallAtK(embeddings, batch.labels, 4) * batch.size;
      views += batch.size;
    } finally {
      tf.dispose(embeddings);
    }
  }
  return views > 0 ? weighted / views : NaN;
}
