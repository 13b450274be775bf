/**
 * A training objective: what one method does with a batch of clients. The trainer
 * (training/training-loop.ts) owns the fixed steps — epochs, batches, the seeded {@link Rng} per
 * (seed, epoch, batch), Adam, the schedule, abort → checkpoint, `metrics.jsonl`, the model
 * directory and checkpoint per epoch, exact resume — and an objective owns batch collation, the
 * loss and its own trainable parameters (loss variables, prediction heads).
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../data/random.js';
import type { SequenceSet } from '../../data/sequence-set.js';
import type { NamedParameter } from '../../encoders/parameters.js';
import type { ShardableBatch } from '../parallel/data-parallel.js';
import type { TrainingMethod } from '../training-options.js';

/** One collated batch, ready for a gradient step. */
export interface ObjectiveBatch {
  /** Real events in the batch (for events/s). */
  readonly events: number;
  /** The batch's loss; the trainer calls it inside `tf.variableGrads`. */
  loss(): tf.Scalar;
  /**
   * The same loss split into the encoder's forward pass and a loss over the whole batch's
   * embeddings, so training with `threads` > 1 can run the encoder in shards on worker threads
   * (training/parallel/). @defaultValue absent: the batch always runs on one thread
   */
  readonly sharded?: ShardableBatch;
}

/** A method's part of training; see the module comment. */
export interface TrainingObjective {
  readonly method: TrainingMethod;
  /** Fewest clients a batch needs (a smaller remainder batch is dropped): 2 when negatives come from other clients. */
  readonly minBatchClients: number;
  /**
   * The objective's own parameters (every one trainable), named uniquely beside the model's
   * (`loss/…`, `cpc/…`, `head/…`): optimised with the model and saved in checkpoints.
   */
  parameters(): NamedParameter[];
  /**
   * Collates the batch of `clients` (global indices into the data), drawing every random choice
   * from `rng`. `null` when the batch can teach nothing (the trainer then takes no step: Adam
   * would still move the weights on zero gradients). `data`, when given, is what `clients` index
   * instead of the objective's own data (a streamed partition, training/epoch-source.ts);
   * objectives whose per-client state is tied to their own data (labels) ignore it and are not streamed.
   */
  batch(clients: Int32Array, rng: Rng, data?: SequenceSet): ObjectiveBatch | null;
  /** The validation metric after an epoch (recall@4 on held-out clients for embedding methods), `null` without one. */
  validate(): number | null;
  /** Frees the objective's own variables (not the model's). */
  dispose(): void;
}
