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

/** Warning code of {@link warnIfRecallMeaningless}, for `process.on('warning')` listeners and tests. */
export const MEANINGLESS_RECALL_WARNING = 'MELES_MEANINGLESS_RECALL';

let warned = false;

/**
 * Warns (once per process, through Node's `process.emitWarning`, printed on stderr) when no
 * validation client has two events: every view of such a client is the same single event, so
 * its views embed identically and recall@4 reads 1.0000 whatever the model learnt.
 * @returns true when the warning applies.
 */
export function warnIfRecallMeaningless(data: SequenceSet, clients: Int32Array): boolean {
  for (const c of clients) if (data.offsets[c + 1]! - data.offsets[c]! >= 2) return false;
  if (clients.length > 0 && !warned) {
    warned = true;
    process.emitWarning(
      `validation recall@4 is meaningless here: none of the ${clients.length} validation clients has more than one event, so all views of a client are the same event and embed identically (recall reads 1.0 whatever the model learnt); use data with longer histories`,
      { code: MEANINGLESS_RECALL_WARNING },
    );
  }
  return clients.length > 0;
}

/** Mean recall@4 over validation batches, weighted by their number of views. */
export function validationRecall(model: SequenceModel, data: SequenceSet, clients: Int32Array, options: TrainingOptions): number {
  warnIfRecallMeaningless(data, clients);
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
