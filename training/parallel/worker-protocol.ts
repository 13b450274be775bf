/**
 * Messages and shared-memory flags between the training thread and its gradient workers
 * (training/parallel/gradient-worker.ts). A worker replies `ready` once its backend runs, then gets
 * its model ({@link ModelMessage}) and jobs. One step: the main thread posts a {@link ShardJob}; the
 * worker runs its shard's forward pass inside `tf.variableGrads`, writes the shard's embeddings
 * into shared memory and raises {@link EMBEDDINGS}; the main thread (blocked in `Atomics.wait` in
 * its own gradient function) gathers every shard's embeddings, computes the loss of the whole batch
 * and its gradient with respect to each shard's embeddings, writes the worker's slice and raises
 * {@link EMBEDDING_GRADIENT}; the worker finishes its backward pass and posts its weight gradients.
 * The workers' gradient functions block in `Atomics.wait` too, so each shard's tape lives across the
 * exchange and no forward pass runs twice.
 */
import type { BackendName } from '../../encoders/backend.js';
import type { EncoderConfig } from '../../encoders/encoder-config.js';
import type { BatchShared } from '../../encoders/event-encoder.js';
import type { EventBatch } from '../../encoders/packed-batch.js';
import { MelesError } from '../../errors.js';
import type { PhaseMark } from './phase-clock.js';

/**
 * `workerData` of a gradient worker: only the backend, so a worker can be started (tfjs loaded, its
 * backend initialised: seconds) before the model exists; its model arrives in a {@link ModelMessage}.
 */
export interface GradientWorkerData {
  /** The training thread's backend, or `'auto'` for a worker started before it was chosen (its `ready` reply names the one it got). */
  readonly backend: BackendName | 'auto';
}

/** Builds the worker's model (same architecture; the weights come with every job). Sent once, before the first job. */
export interface ModelMessage {
  readonly kind: 'model';
  readonly config: EncoderConfig;
}

/** What the training thread posts to a worker. */
export type WorkerMessage = ModelMessage | ShardJob;

/** A named parameter's values, row-major. */
export interface NamedValues {
  readonly name: string;
  readonly values: Float32Array;
}

/** One step's work for a worker. */
export interface ShardJob {
  readonly kind: 'shard';
  /** Every model parameter's current values (the worker's copy is overwritten with them). */
  readonly weights: readonly NamedValues[];
  /** Record the worker's {@link PhaseMark}s and send them with the reply. */
  readonly timed: boolean;
  /** Parameter names to return gradients for (the optimizer's, in its order). */
  readonly trainable: readonly string[];
  readonly shard: EventBatch;
  readonly shared: BatchShared;
  /** Int32Array flags, indexed by {@link EMBEDDINGS} and {@link EMBEDDING_GRADIENT}. */
  readonly control: SharedArrayBuffer;
  /** Float32 `[shard.size, width]`: the worker's embeddings. */
  readonly embeddings: SharedArrayBuffer;
  /** Float32 `[shard.size, width]`: the loss gradient for them. */
  readonly embeddingGradient: SharedArrayBuffer;
}

/** What a worker posts back. */
export type WorkerReply =
  | { readonly kind: 'ready'; readonly backend: BackendName }
  | { readonly kind: 'gradients'; readonly gradients: readonly NamedValues[]; readonly marks: readonly PhaseMark[] }
  | { readonly kind: 'error'; readonly message: string };

/** Flag index: the worker's embeddings are in shared memory. */
export const EMBEDDINGS = 0;
/** Flag index: the loss gradient for the worker's embeddings is in shared memory. */
export const EMBEDDING_GRADIENT = 1;
/** Flag value: not yet. */
export const PENDING = 0;
/** Flag value: done. */
export const READY = 1;
/** Flag value: the other side failed; give up this step. */
export const FAILED = 2;

/** A step waits at most this long for the other side (a worker that crashed cannot say so). */
const WAIT_LIMIT_MS = 30 * 60 * 1000;

/** Blocks this thread until flag `index` is {@link READY}; throws when it becomes {@link FAILED} or after a long silence. */
export function waitForFlag(control: Int32Array, index: number, what: string): void {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    const value = Atomics.load(control, index);
    if (value === READY) return;
    if (value === FAILED) throw new MelesError(`Data-parallel training: the other thread failed while this one waited for ${what}`);
    if (Date.now() > deadline) throw new MelesError(`Data-parallel training: no ${what} after ${WAIT_LIMIT_MS / 60000} minutes`);
    Atomics.wait(control, index, value, 1000);
  }
}

/** Sets flag `index` to `value` and wakes the thread waiting on it. */
export function raiseFlag(control: Int32Array, index: number, value: number): void {
  Atomics.store(control, index, value);
  Atomics.notify(control, index);
}
