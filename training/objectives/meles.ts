/**
 * The MeLES objective: each client of a batch becomes k views with the splitter, the views are
 * embedded and L2-normalised, and the metric loss (with its miner) treats views of one client as
 * positives. Loss variables (CosFace's class weights) are trained and checkpointed as `loss/<kind>/<i>`.
 */
import type * as tf from '@tensorflow/tfjs';
import { l2Normalize } from '../../encoders/l2-normalize.js';
import type { NamedParameter } from '../../encoders/parameters.js';
import type { SequenceModel } from '../../encoders/sequence-model.js';
import type { SequenceSet } from '../../data/sequence-set.js';
import { ConfigError } from '../../errors.js';
import { createLoss } from '../../metric/create-loss.js';
import { CosFaceLoss } from '../../metric/losses/cosface-loss.js';
import { collateViews } from '../../sampling/collate.js';
import { createSplitter } from '../../sampling/create-splitter.js';
import type { TrainingOptions } from '../training-options.js';
import { validationRecall } from '../validation.js';
import type { TrainingObjective } from './objective.js';

/** Builds the MeLES objective over `data`; `validation` clients give recall@4 after each epoch. */
export function melesObjective(model: SequenceModel, data: SequenceSet, options: TrainingOptions, validation: Int32Array): TrainingObjective {
  const loss = createLoss(options.loss, options.miner ?? undefined);
  if (loss instanceof CosFaceLoss && loss.options.embeddingSize !== model.width) {
    loss.dispose();
    throw new ConfigError(`The \`cosface\` loss has \`embeddingSize\` ${loss.options.embeddingSize}, but the encoder's embeddings are ${model.width} wide`);
  }
  const splitter = createSplitter(options.splitter);
  const parameters: NamedParameter[] = loss.trainableVariables().map((variable, i) => ({ name: `loss/${options.loss.kind}/${i}`, variable }));
  return {
    method: 'meles',
    minBatchClients: 2,
    parameters: () => parameters,
    batch(clients, rng, streamed) {
      const views = collateViews(streamed ?? data, clients, splitter, rng);
      const packed = model.pack(views);
      const lossOfEmbeddings = (raw: tf.Tensor2D): tf.Scalar => loss.call(l2Normalize(raw), views.labels);
      return {
        events: packed.events,
        loss: () => lossOfEmbeddings(model.forward(packed, { training: true, rng })),
        sharded: { views, packed, mode: { training: true, rng }, lossOfEmbeddings },
      };
    },
    validate: () => (validation.length >= 2 ? validationRecall(model, data, validation, options) : null),
    dispose: () => loss.dispose(),
  };
}
