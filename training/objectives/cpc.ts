/**
 * The CPC objective (pytorch-lifestream `CpcModule`): each client gives one ordered sequence
 * (whole, or cropped to the splitter's `cntMax` at a random start, as `CpcDataset`), the model's
 * per-event outputs feed {@link CpcLoss}. Its K prediction heads are this objective's parameters
 * (`cpc/head{k}/w|b`), trained and checkpointed with the model; the saved model directory holds
 * only the encoder (ptls also drops the heads). Batches without signal (one sequence, or all
 * sequences of one event) are skipped.
 */
import type { SequenceSet } from '../../data/sequence-set.js';
import type { SequenceModel } from '../../encoders/sequence-model.js';
import { collateViews } from '../../sampling/collate.js';
import { CpcLoss } from '../cpc/cpc-loss.js';
import { cpcHasSignal, cpcLossOf } from '../cpc/cpc-objective.js';
import type { TrainingOptions } from '../training-options.js';
import { validationRecall } from '../validation.js';
import { cropSplitter } from './crop.js';
import type { TrainingObjective } from './objective.js';

/** Builds the CPC objective; `validation` clients give recall@4 (with the validation splitter) after each epoch. */
export function cpcObjective(model: SequenceModel, data: SequenceSet, options: TrainingOptions, validation: Int32Array): TrainingObjective {
  const splitter = cropSplitter(options.splitter, 'max');
  // The heads' seed follows the run's seed (a different stream from the encoder's weights).
  const cpc = new CpcLoss({ context: model.width, event: model.eventWidth }, { ...options.cpc, seed: (options.seed ^ 0x43504321) >>> 0 });
  return {
    method: 'cpc',
    minBatchClients: 2,
    parameters: () => cpc.parameters(),
    batch(clients, rng, streamed) {
      const views = collateViews(streamed ?? data, clients, splitter, rng);
      const packed = model.pack(views);
      if (!cpcHasSignal(packed)) return null;
      return { events: packed.events, loss: () => cpcLossOf(model, packed, cpc, rng) };
    },
    validate: () => (validation.length >= 2 ? validationRecall(model, data, validation, options) : null),
    dispose: () => cpc.dispose(),
  };
}
