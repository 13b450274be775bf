/**
 * Data-parallel gradients over worker threads (issue 16): the training thread computes shard 0 of
 * every batch and each of `threads - 1` workers one more shard, each on its own tfjs backend with a
 * copy of the weights. The encoder's forward and backward passes are split by sequences; the loss
 * (whose miner needs every embedding of the batch) runs once, on the gathered embeddings, in the
 * training thread. Protocol: worker-protocol.ts.
 *
 * Results: the weight gradient is the sum of the shards' gradients (the workers' added in worker
 * order to the training thread's), so a step equals the one-thread step within float rounding and
 * is reproducible for a given seed and thread count. Batch-wide random draws and batch-norm
 * statistics are taken once for the whole batch (`SequenceModel.batchShared`).
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../../encoders/backend.js';
import type { EncoderConfig } from '../../encoders/encoder-config.js';
import type { ForwardMode } from '../../encoders/event-encoder.js';
import type { EventBatch, PackedBatch } from '../../encoders/packed-batch.js';
import type { SequenceModel } from '../../encoders/sequence-model.js';
import { MelesError } from '../../errors.js';
import { type PhaseMark, PhaseClock } from './phase-clock.js';
import { planShards, sliceBatch } from './shard-plan.js';
import { EMBEDDING_GRADIENT, EMBEDDINGS, FAILED, type ModelMessage, type NamedValues, PENDING, raiseFlag, READY, type ShardJob, waitForFlag, type GradientWorkerData, type WorkerReply } from './worker-protocol.js';

/** What a batch must expose to be split across threads (the MeLES objective provides it). */
export interface ShardableBatch {
  /** The whole batch, padded. */
  readonly views: EventBatch;
  /** The same batch packed (batch-norm statistics are taken over all of its events). */
  readonly packed: PackedBatch;
  /** The forward mode of the one-thread step (`training: true` and its `rng`). */
  readonly mode: ForwardMode;
  /** The batch's loss from the raw embeddings `[views.size, width]` in batch order. */
  lossOfEmbeddings(raw: tf.Tensor2D): tf.Scalar;
}

const WORKER_FILE = new URL('./gradient-worker.mjs', import.meta.url);

/** A worker's answer to a job: its gradients and its phase marks. */
interface JobResult {
  readonly gradients: readonly NamedValues[];
  readonly marks: readonly PhaseMark[];
}

interface Pending {
  resolve(result: JobResult): void;
  reject(error: Error): void;
}

/** One worker thread and the reply it is waiting for. */
class GradientWorker {
  private pending: Pending | null = null;
  private failure: Error | null = null;

  /** The backend the worker started (known once `start` resolves). */
  backend: BackendName | null = null;

  private constructor(readonly thread: Worker) {}

  static start(data: GradientWorkerData): Promise<GradientWorker> {
    return GradientWorker.launch(data).ready;
  }

  /** Starts a worker thread: the thread at once, the worker once it is ready. */
  static launch(data: GradientWorkerData): { readonly thread: Worker; readonly ready: Promise<GradientWorker> } {
    const thread = new Worker(WORKER_FILE, { workerData: data });
    const worker = new GradientWorker(thread);
    const ready = new Promise<GradientWorker>((resolve, reject) => {
      const onStartError = (error: Error): void => reject(new MelesError(`A gradient worker thread could not start: ${error.message}`, { cause: error }));
      // An exit before `ready` settles this promise too, so nothing waits forever on a dead thread.
      const onStartExit = (code: number): void => reject(new MelesError(`A gradient worker thread exited while starting (code ${code})`));
      thread.once('error', onStartError);
      thread.once('exit', onStartExit);
      thread.once('message', (message: WorkerReply) => {
        thread.off('error', onStartError);
        thread.off('exit', onStartExit);
        if (message.kind !== 'ready') {
          reject(new MelesError(`A gradient worker thread failed to start: ${message.kind === 'error' ? message.message : message.kind}`));
          return;
        }
        worker.backend = message.backend;
        thread.on('message', (reply: WorkerReply) => worker.onReply(reply));
        thread.on('error', (error: Error) => worker.fail(error));
        thread.on('exit', (code) => worker.fail(new MelesError(`A gradient worker thread exited (code ${code})`)));
        resolve(worker);
      });
    });
    return { thread, ready };
  }

  /** Has the worker build its model for `config` (before its first job; messages arrive in order). */
  setModel(config: EncoderConfig): void {
    const message: ModelMessage = { kind: 'model', config };
    this.thread.postMessage(message);
  }

  /** Posts a job; the promise settles with the worker's gradients. */
  run(job: ShardJob): Promise<JobResult> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.thread.postMessage(job);
    });
  }

  private onReply(reply: WorkerReply): void {
    const pending = this.pending;
    this.pending = null;
    if (reply.kind === 'gradients') pending?.resolve(reply);
    else if (reply.kind === 'error') pending?.reject(new MelesError(`Gradient worker thread: ${reply.message}`));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.pending?.reject(error);
    this.pending = null;
  }
}

/** Workers started ahead of their model ({@link prestartGradientWorkers}), not yet taken. */
let prestarted: { readonly thread: Worker; readonly ready: Promise<GradientWorker> }[] = [];

/**
 * Starts `threads - 1` gradient workers now, before the model exists (a worker needs seconds to
 * load tfjs and start its backend: issue 16 measured 1.5–3 s, all of it on the first batch's
 * critical path), so they warm up while the caller reads its data. The next
 * {@link DataParallelGradients.start} takes them. They do not keep the process alive while
 * unused; {@link releasePrestartedWorkers} ends any not taken.
 * @param backend - the backend the training thread will run (`'auto'` when not yet chosen: a worker
 *   that ends up on another backend than the training thread is replaced)
 */
export function prestartGradientWorkers(threads: number, backend: BackendName | 'auto'): void {
  const wanted = threads - 1 - prestarted.length;
  for (let k = 0; k < wanted; k++) {
    const launched = GradientWorker.launch({ backend });
    launched.thread.unref();
    launched.ready.catch(() => undefined);
    prestarted.push(launched);
  }
}

/**
 * Ends the workers {@link prestartGradientWorkers} started that no training took, each once it is
 * ready (or failed): terminating a thread while koffi loads a library aborts the whole process
 * (seen with the LightGBM fold workers), and a starting worker loads OpenBLAS through koffi.
 */
export async function releasePrestartedWorkers(): Promise<void> {
  const left = prestarted;
  prestarted = [];
  await Promise.all(
    left.map(async (w) => {
      await w.ready.catch(() => undefined);
      await w.thread.terminate();
    }),
  );
}

function takePrestarted(count: number): Promise<GradientWorker>[] {
  const taken = prestarted.slice(0, count);
  prestarted = prestarted.slice(count);
  // Taken: awaited from now on, so the thread (and its port) must keep the process alive again.
  for (const w of taken) w.thread.ref();
  return taken.map((w) => w.ready);
}

/** Options of {@link DataParallelGradients.start}. */
export interface DataParallelOptions {
  /**
   * Record when each phase of a step ends on every thread ({@link DataParallelGradients.takeMarks}),
   * for profiling. @defaultValue `false`
   */
  readonly timed?: boolean;
}

/** Worker threads that compute gradients for shards of each batch; {@link DataParallelGradients.dispose} ends them. */
export class DataParallelGradients {
  private readonly clock: PhaseClock;
  private workerMarks: PhaseMark[] = [];

  private constructor(
    private readonly workers: readonly GradientWorker[],
    private readonly model: SequenceModel,
    options: DataParallelOptions,
  ) {
    this.clock = new PhaseClock(options.timed ?? false);
  }

  /**
   * Starts `threads - 1` workers for `model` (same architecture from its config) on `backend`.
   * @param threads - threads in all, this one included; at least 2
   */
  static async start(threads: number, model: SequenceModel, backend: BackendName, options: DataParallelOptions = {}): Promise<DataParallelGradients> {
    if (!Number.isInteger(threads) || threads < 2) throw new MelesError(`Expected \`threads\` to be an integer >= 2 for data-parallel training, got \`${threads}\``);
    const data: GradientWorkerData = { backend };
    const early = takePrestarted(threads - 1);
    const pending = Array.from({ length: threads - 1 }, (_, k) => early[k] ?? GradientWorker.start(data));
    const started = await Promise.allSettled(pending);
    let workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(workers.map((w) => w.thread.terminate()));
      throw failed.reason as Error;
    }
    // A worker started early with 'auto' must have chosen this thread's backend; one that did not is replaced.
    const wrong = workers.filter((w) => w.backend !== backend);
    if (wrong.length > 0) {
      await Promise.all(wrong.map((w) => w.thread.terminate()));
      const fresh = await Promise.all(wrong.map(() => GradientWorker.start(data)));
      workers = [...workers.filter((w) => w.backend === backend), ...fresh];
    }
    const config = structuredClone(model.config) as EncoderConfig;
    for (const worker of workers) worker.setModel(config);
    return new DataParallelGradients(workers, model, options);
  }

  /** Threads in all (workers + this one). */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * The phase marks of the steps since the last call, every thread's, in time order (empty unless
   * started with {@link DataParallelOptions.timed}).
   */
  takeMarks(): PhaseMark[] {
    const marks = [...this.clock.take(), ...this.workerMarks];
    this.workerMarks = [];
    return marks.sort((a, b) => a.at - b.at);
  }

  /**
   * The loss of `batch` and its gradients for `variables` (the optimizer's, keyed by tfjs variable
   * name as `tf.variableGrads` returns them), computed across the threads. The caller disposes both.
   */
  async gradients(batch: ShardableBatch, variables: readonly tf.Variable[]): Promise<{ value: tf.Scalar; grads: tf.NamedTensorMap }> {
    const { model, clock } = this;
    clock.mark('main/start');
    const shards = planShards(batch.views.lengths, this.threads);
    const shared = model.batchShared(batch.packed, batch.mode);
    const parameters = model.parameters();
    const nameOf = new Map(parameters.map((p) => [p.variable.name, p.name]));
    const trainable = variables.flatMap((v) => (nameOf.has(v.name) ? [nameOf.get(v.name)!] : []));
    const weights = parameters.map((p) => ({ name: p.name, values: p.variable.dataSync() as Float32Array }));
    const width = model.width;
    // Workers with no rows this batch (fewer sequences than threads) sit it out.
    const jobs = this.workers.flatMap((worker, k) => {
      const rows = shards[k + 1]!;
      if (rows.length === 0) return [];
      const bytes = rows.length * width * Float32Array.BYTES_PER_ELEMENT;
      const job: ShardJob = {
        kind: 'shard',
        timed: clock.enabled,
        weights,
        trainable,
        shard: sliceBatch(batch.views, rows),
        shared,
        control: new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT),
        embeddings: new SharedArrayBuffer(bytes),
        embeddingGradient: new SharedArrayBuffer(bytes),
      };
      return [{ job, rows, control: new Int32Array(job.control) }];
    });
    const replies = jobs.map((j, k) => this.workers[k]!.run(j.job));
    // Settled by the handlers below even if this step fails, so no rejection goes unobserved.
    replies.forEach((r) => r.catch(() => undefined));
    clock.mark('main/job-posted');
    const own0 = shards[0]!;
    const size = batch.views.size;
    // Every shard's embeddings in batch order, the loss's one input: the training thread's own enter
    // it as plain values too, so the loss and dL/dE of every shard are known before any backward
    // pass through the encoder runs (the workers then backpropagate while this thread
    // backpropagates its own shard). One input instead of a placeholder per shard, concatenated and
    // gathered back into batch order: no concat, gather or their gradients (0.66 ms less while the
    // workers wait, hidden 64).
    const gathered = new Float32Array(size * width);
    const modelVariables = new Set(parameters.map((p) => p.variable.name));
    const encoderVariables = variables.filter((v) => modelVariables.has(v.name));
    const lossVariables = variables.filter((v) => !modelVariables.has(v.name));
    let input: tf.Variable<tf.Rank.R2> | null = null;
    let loss: { value: tf.Scalar; grads: tf.NamedTensorMap } | null = null;
    let own: tf.NamedTensorMap;
    try {
      const outer = tf.variableGrads(() => {
        const embeddings = model.forward(model.pack(sliceBatch(batch.views, own0)), { ...batch.mode, shared });
        scatterRows(embeddings.dataSync() as Float32Array, own0, gathered, width);
        clock.mark('main/own-forward');
        for (const j of jobs) {
          waitForFlag(j.control, EMBEDDINGS, "a worker's embeddings");
          scatterRows(new Float32Array(j.job.embeddings), j.rows, gathered, width);
        }
        const lossInput = tf.variable(tf.tensor2d(gathered, [size, width]), true) as tf.Variable<tf.Rank.R2>;
        input = lossInput;
        clock.mark('main/embeddings-gathered');
        // A nested gradient: the loss of the whole batch, its gradient for the embeddings and for
        // the loss's own variables. Its results are read out as plain values, so nothing of it is
        // connected to this outer tape.
        const inner = tf.variableGrads(() => batch.lossOfEmbeddings(lossInput), [...lossVariables, lossInput]);
        const dEmbeddings = inner.grads[lossInput.name]!.dataSync() as Float32Array;
        for (const j of jobs) {
          gatherRows(dEmbeddings, j.rows, new Float32Array(j.job.embeddingGradient), width);
          raiseFlag(j.control, EMBEDDING_GRADIENT, READY);
        }
        clock.mark('main/loss-gradient');
        const ownGradient = tf.tensor2d(gatherRows(dEmbeddings, own0, new Float32Array(own0.length * width), width), [own0.length, width]);
        loss = {
          value: tf.keep(tf.scalar(inner.value.dataSync()[0]!)),
          grads: Object.fromEntries(lossVariables.flatMap((v) => {
            const g = inner.grads[v.name];
            return g === undefined ? [] : [[v.name, tf.keep(tf.tensor(g.dataSync() as Float32Array, g.shape))]];
          })),
        };
        return tf.sum(tf.mul(embeddings, ownGradient));
      }, encoderVariables);
      outer.value.dispose();
      own = outer.grads;
      clock.mark('main/own-backward');
    } catch (error) {
      for (const j of jobs) if (Atomics.load(j.control, EMBEDDING_GRADIENT) === PENDING) raiseFlag(j.control, EMBEDDING_GRADIENT, FAILED);
      const partial = loss as { value: tf.Scalar; grads: tf.NamedTensorMap } | null;
      if (partial !== null) tf.dispose([partial.value, partial.grads]);
      throw error;
    } finally {
      (input as tf.Variable<tf.Rank.R2> | null)?.dispose();
    }
    const done = loss as unknown as { value: tf.Scalar; grads: tf.NamedTensorMap };
    const value = done.value;
    const grads: tf.NamedTensorMap = { ...own, ...done.grads };
    let fromWorkers: (readonly NamedValues[])[];
    try {
      const results = await Promise.all(replies);
      fromWorkers = results.map((r) => r.gradients);
      for (const r of results) this.workerMarks.push(...r.marks);
    } catch (error) {
      tf.dispose([value, grads]);
      throw error;
    }
    clock.mark('main/replies');
    const variableOf = new Map(parameters.map((p) => [p.name, p.variable]));
    for (const gradients of fromWorkers) {
      for (const { name, values } of gradients) {
        const variable = variableOf.get(name)!;
        const previous = grads[variable.name];
        const add = tf.tensor(values, variable.shape);
        grads[variable.name] = previous === undefined ? add : tf.tidy(() => tf.add(previous, add));
        if (previous !== undefined) {
          previous.dispose();
          add.dispose();
        }
      }
    }
    clock.mark('main/summed');
    return { value, grads };
  }

  /** Ends the worker threads. */
  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.thread.terminate()));
  }
}

/** Copies row `i` of `source` (`[rows.length, width]`) to row `rows[i]` of `target`. */
function scatterRows(source: Float32Array, rows: Int32Array, target: Float32Array, width: number): void {
  rows.forEach((row, i) => target.set(source.subarray(i * width, (i + 1) * width), row * width));
}

/** Copies row `rows[i]` of `source` to row `i` of `target` (`[rows.length, width]`); returns `target`. */
function gatherRows(source: Float32Array, rows: Int32Array, target: Float32Array, width: number): Float32Array {
  rows.forEach((row, i) => target.set(source.subarray(row * width, (row + 1) * width), i * width));
  return target;
}
