/**
 * The supervised objective (ptls `SequenceToTarget`): each labelled client gives one contiguous
 * random slice (splitter `cntMin`..`cntMax`, ptls `RandomSlice`; the whole sequence with splitter
 * `none`), the raw embedding goes through a {@link LabelledHead}. With `frozenEncoder` the encoder
 * runs in inference mode (no noise, no batch-norm statistic updates) and gets no gradient, so its
 * weights stay bit-identical.
 */
import type { SequenceSet } from '../../data/sequence-set.js';
import type { SequenceModel } from '../../encoders/sequence-model.js';
import { ShapeError } from '../../errors.js';
import { collateViews } from '../../sampling/collate.js';
import type { LabelledHead } from '../labelled/labelled-head.js';
import type { TrainingOptions } from '../training-options.js';
import { cropSplitter } from './crop.js';
import type { TrainingObjective } from './objective.js';

/** Inputs of {@link supervisedObjective}. */
export interface SupervisedObjectiveInput {
  readonly model: SequenceModel;
  readonly head: LabelledHead;
  readonly data: SequenceSet;
  /** Training clients (indices into `data`). */
  readonly clients: Int32Array;
  /** Label index per entry of `clients`. */
  readonly labels: Int32Array;
  readonly options: TrainingOptions;
  /** @defaultValue `false` */
  readonly frozenEncoder?: boolean;
}

/** Builds the supervised objective; the head is the caller's (it saves it), the objective only trains it. */
export function supervisedObjective(input: SupervisedObjectiveInput): TrainingObjective {
  const { model, head, data, clients, labels, options } = input;
  if (labels.length !== clients.length) throw new ShapeError(`Expected one label per client, got ${labels.length} labels for ${clients.length} clients`);
  const labelOf = new Map<number, number>();
  clients.forEach((c, i) => labelOf.set(c, labels[i]!));
  const splitter = cropSplitter(options.splitter, 'slice');
  const frozen = input.frozenEncoder === true;
  return {
    method: 'supervised',
    minBatchClients: 1,
    parameters: () => head.parameters(),
    batch(batchClients, rng) {
      const views = collateViews(data, batchClients, splitter, rng);
      const packed = model.pack(views);
      const target = Int32Array.from(views.clients, (c) => labelOf.get(c)!);
      return {
        events: packed.events,
        loss: () => head.loss(model.forward(packed, frozen ? { training: false } : { training: true, rng }), target),
      };
    },
    validate: () => null,
    dispose: () => undefined,
  };
}
