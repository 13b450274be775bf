/**
 * How the trainer gets one batch's loss and gradients: on this thread with `tf.variableGrads`
 * (`threads` 1, and any batch its objective cannot shard), or split across worker threads
 * ({@link DataParallelGradients}), started on the first shardable batch and ended by
 * {@link BatchGradients.dispose}.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../../encoders/backend.js';
import type { SequenceModel } from '../../encoders/sequence-model.js';
import { expectInteger } from '../../options.js';
import type { ObjectiveBatch } from '../objectives/objective.js';
import { DataParallelGradients } from './data-parallel.js';
import { MAX_TRAINING_THREADS } from './threads.js';

/** Computes batch gradients on `threads` threads; see the module comment. */
export class BatchGradients {
  private workers: Promise<DataParallelGradients> | null = null;
  /** The workers once started, so a step starts without waiting a turn of the event loop. */
  private started: DataParallelGradients | null = null;

  /**
   * @param threads - threads in all (1: this thread only, byte-identical to the plain step)
   * @param model - the model the objective's batches run through
   * @param backend - the tfjs backend the workers start (this thread's)
   */
  constructor(
    readonly threads: number,
    private readonly model: SequenceModel,
    private readonly backend: BackendName,
  ) {
    expectInteger('threads', threads, 1, MAX_TRAINING_THREADS);
  }

  /**
   * The batch's loss and its gradients for `variables`, keyed by tfjs variable name; the caller
   * disposes both. Once the workers run, this thread's share of the step is done when the call
   * returns (only the workers' gradients are awaited), so the caller can prepare the next batch meanwhile.
   */
  async compute(batch: ObjectiveBatch, variables: readonly tf.Variable[]): Promise<{ value: tf.Scalar; grads: tf.NamedTensorMap }> {
    if (this.threads === 1 || batch.sharded === undefined) return tf.variableGrads(() => batch.loss(), [...variables]);
    if (this.started !== null) return this.started.gradients(batch.sharded, variables);
    this.workers ??= DataParallelGradients.start(this.threads, this.model, this.backend);
    this.started = await this.workers;
    return this.started.gradients(batch.sharded, variables);
  }

  /** Ends the worker threads, if any were started. */
  async dispose(): Promise<void> {
    const workers = this.workers;
    this.workers = null;
    this.started = null;
    if (workers !== null) await (await workers.catch(() => null))?.dispose();
  }
}
