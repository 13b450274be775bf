/**
 * `FoldFitPool`: LightGBM fits of the evaluation protocol run several at a time, one in each of
 * `size` worker threads, or one after another in the calling thread while they are small (issue 16). The protocol's fits are
 * independent (one per target × feature set × fold) and each booster is single-threaded by
 * default, so with one fit per core both cores work and the results are the ones a sequential run
 * gives: a fit depends only on its task.
 *
 * Tasks are given as factories, called only when a lane is free, so at most `size` tasks'
 * matrices exist at once whatever the number of fits. With `size` 1 no thread is started and
 * the fits run in the calling thread, as before.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { ConfigError, DataFormatError, MelesError, ShapeError } from '../../errors.js';
import { expectInteger } from '../../options.js';
import { LightGBMError } from '../lightgbm/index.js';
import { fitFold, transferList, type FoldFitResult, type FoldFitTask } from './fold-fit.js';

/** A message to a worker thread: a task, or the request to end once it is idle. @internal */
export type FoldFitRequest = { readonly kind: 'fit'; readonly id: number; readonly task: FoldFitTask } | { readonly kind: 'stop' };

/** What a worker thread is started with. @internal */
export interface FoldFitWorkerData {
  /** Its nice value ({@link FoldFitPoolOptions.priority}). */
  readonly priority: number;
}

/** A worker thread's answer. @internal */
export type FoldFitReply =
  | { readonly kind: 'ready' }
  | { readonly id: number; readonly kind: 'done'; readonly result: FoldFitResult }
  | { readonly id: number; readonly kind: 'error'; readonly error: FoldFitErrorKind; readonly message: string };

/** The error classes a fit throws, by name, so a worker's error is rethrown as the same class (the CLI's exit code depends on it). */
const ERRORS = { LightGBMError, ConfigError, DataFormatError, ShapeError } as const;

/** Name of an error class a fit may throw; any other error travels as `MelesError`. @internal */
export type FoldFitErrorKind = keyof typeof ERRORS | 'MelesError';

/** The {@link FoldFitErrorKind} of `error`. @internal */
export function foldFitErrorKind(error: unknown): FoldFitErrorKind {
  for (const [name, type] of Object.entries(ERRORS)) if (error instanceof type) return name as keyof typeof ERRORS;
  return 'MelesError';
}

/** The most fits run at once by default, so that big feature tables are not copied to many threads. */
export const MAX_DEFAULT_PARALLEL_FITS = 4;

/**
 * The default number of fits at once: one per `threadsPerFit` cores, at least 1 and at most
 * {@link MAX_DEFAULT_PARALLEL_FITS}.
 */
export function defaultParallelFits(threadsPerFit: number): number {
  return Math.max(1, Math.min(MAX_DEFAULT_PARALLEL_FITS, Math.floor(availableParallelism() / Math.max(1, threadsPerFit))));
}

const WORKER_FILE = new URL('./fold-fit-worker.mjs', import.meta.url);

/**
 * A fit worth a worker thread: loading one (tsx, LightGBM's bindings) costs about 0.3–1 s of one
 * core, which fits of this size pay back. Judged by the fit's work (rows × columns × iterations ×
 * trees per iteration; the demo's multiclass fit, 1440 × 748 × 100 × 4 = 4.3e8, took ~3.7 s, so
 * ~1e-8 s per unit) and, for a fit the estimate misjudged, by its time in the calling thread.
 */
const THREAD_WORTH_WORK = 2e7;
const THREAD_WORTH_SECONDS = 0.25;

function fitWork(task: FoldFitTask): number {
  return task.trainY.length * task.cols * task.numIterations * Math.max(1, task.params.numClass ?? 1);
}

/** Options of {@link FoldFitPool}. */
export interface FoldFitPoolOptions {
  /**
   * Nice value of the pool's worker threads (-20 highest … 19 lowest), set on Linux only, where it
   * is per thread (elsewhere it would apply to the whole process, so it is not set). With 19 the fits only take CPU time that nothing else of normal
   * priority wants: `meles demo` fits the hand-crafted features while the encoder trains, and the
   * training threads keep their speed. Fits in the calling thread keep its priority.
   * @defaultValue `0` (the threads keep the process's priority)
   */
  readonly priority?: number;
  /**
   * Remember every result by its task's content (parameters, iterations and every matrix byte):
   * a task equal to one run before, or running now, gets that result without a second fit. LightGBM
   * with one thread per fit and a fixed seed is deterministic, so the answer is the one a new fit
   * would give. For callers that evaluate the same sets more than once with one pool.
   * @defaultValue `false`
   */
  readonly memoize?: boolean;
}

interface Waiting {
  readonly make: () => FoldFitTask;
  readonly resolve: (result: FoldFitResult) => void;
  readonly reject: (error: unknown) => void;
  /** Already looked up in (and entered into) the memo. */
  readonly memoized?: boolean;
}

interface Slot {
  readonly thread: Worker;
  /** Settles when the thread has exited. */
  readonly exited: Promise<void>;
  /** The thread has loaded LightGBM and waits for tasks. */
  ready: boolean;
  current: (Waiting & { readonly id: number }) | undefined;
}

/** Runs {@link fitFold} tasks, at most `size` at a time. Call {@link FoldFitPool.close} when done. */
export class FoldFitPool {
  readonly size: number;
  readonly #queue: Waiting[] = [];
  readonly #slots: Slot[] = [];
  #nextId = 0;
  #inlineBusy = false;
  #closed = false;
  #fitsOnThreads = 0;
  #threadsWanted = false;
  readonly #readyWaiters: { readonly resolve: () => void; readonly reject: (error: Error) => void }[] = [];
  readonly #priority: number;
  /** Results (or fits in flight) by task digest; `undefined` when not memoizing. */
  readonly #memo: Map<string, Promise<FoldFitResult>> | undefined;
  #memoHits = 0;

  /**
   * @param size - fits at once, an integer >= 1: the worker threads started once fits are worth them (1: none).
   * @param options - see {@link FoldFitPoolOptions}
   */
  constructor(size: number, options: FoldFitPoolOptions = {}) {
    this.size = expectInteger('parallelFits', size, 1, 64);
    this.#priority = expectInteger('priority', options.priority ?? 0, -20, 19);
    this.#memo = options.memoize === true ? new Map() : undefined;
  }

  /**
   * Queues a fit; `make` builds its task when a thread is free (and may throw, e.g. on an
   * aborted signal: the promise then rejects with that error).
   */
  run(make: () => FoldFitTask): Promise<FoldFitResult> {
    if (this.#closed) return Promise.reject(new MelesError('The LightGBM fit pool is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ make, resolve, reject });
      this.#pump();
    });
  }

  /** Fits done so far on worker threads (the rest ran in the calling thread). */
  get fitsOnThreads(): number {
    return this.#fitsOnThreads;
  }

  /** Tasks answered from memory (`memoize`) instead of being fitted again. */
  get memoHits(): number {
    return this.#memoHits;
  }

  /** Starts the worker threads now and resolves once every one has loaded (at once with `size` 1). */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(new MelesError('The LightGBM fit pool is closed'));
    this.#threadsWanted = this.size > 1;
    if (this.#threadsWanted) while (this.#slots.length < this.size) this.#startThread();
    if (this.#slots.every((s) => s.ready)) return Promise.resolve();
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /**
   * Stops the threads; fits still queued reject, and so do fits running on a thread (their
   * threads end once they are done). Safe to call twice.
   */
  async close(): Promise<void> {
    await this.#stop('The LightGBM fit pool was closed');
  }

  async #stop(reason: string): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiting of this.#queue.splice(0)) waiting.reject(new MelesError(`${reason} before this fit ran`));
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(new MelesError(`${reason} before its threads had loaded`));
    const slots = this.#slots.splice(0);
    for (const slot of slots) {
      slot.current?.reject(new MelesError(`${reason} while this fit ran`));
      slot.current = undefined;
      // Not terminate(): a thread stopped inside a native call (koffi loading LightGBM) took the
      // whole process down (FATAL napi_throw). Asked to stop, it ends between two messages.
      slot.thread.postMessage({ kind: 'stop' } satisfies FoldFitRequest);
    }
    await Promise.all(slots.map((s) => s.exited));
  }

  #pump(): void {
    if (this.#closed) return;
    // Small fits run here, one after another: small evaluations (tests, tiny compares) never start
    // a thread. Once a fit is worth it, `size` threads start and take every fit from then on,
    // each as soon as it has loaded (it says `ready`). This thread then only hands out tasks and
    // takes results: were it a lane too, a thread's result would wait for this thread's fit to
    // end before the thread got its next task (measured: demo compare 59.6 s instead of 44.6 s).
    if (this.#threadsWanted) while (this.#slots.length < this.size) this.#startThread();
    while (this.#queue.length > 0) {
      const slot = this.#slots.find((s) => s.ready && s.current === undefined);
      if (slot === undefined) break;
      const queued = this.#queue.shift()!;
      const task = build(queued);
      const waiting = task === undefined ? undefined : this.#throughMemo(queued, task);
      if (task === undefined || waiting === undefined) continue;
      const id = this.#nextId++;
      slot.current = { ...waiting, id };
      const request: FoldFitRequest = { kind: 'fit', id, task };
      // The task's arrays were built for this fit alone: hand them over instead of copying.
      slot.thread.postMessage(request, transferList([task.trainX, task.trainY, task.heldX, task.testX]));
    }
    if (this.#queue.length > 0) void this.#runInline();
  }

  async #runInline(): Promise<void> {
    if (this.#inlineBusy) return;
    this.#inlineBusy = true;
    try {
      for (;;) {
        // A fit blocks this thread: give timers, signals, progress output and the worker
        // threads' messages (a thread that became ready takes the next task) a turn first.
        await yieldToEventLoop();
        const queued = this.#closed || this.#threadsWanted ? undefined : this.#queue.shift();
        if (queued === undefined) break;
        const task = build(queued);
        const waiting = task === undefined ? undefined : this.#throughMemo(queued, task);
        if (task === undefined || waiting === undefined) continue;
        if (this.size > 1 && fitWork(task) >= THREAD_WORTH_WORK) {
          // Worth a thread: back to the front of the queue (already built), for the threads; it
          // is in the memo already, so the queued copy must not be looked up again.
          this.#queue.unshift({ ...waiting, make: () => task, memoized: true });
          this.#wantThreads();
          break;
        }
        try {
          const result = fitFold(task);
          if (result.seconds >= THREAD_WORTH_SECONDS && this.size > 1) this.#wantThreads();
          waiting.resolve(result);
        } catch (error) {
          waiting.reject(error);
        }
      }
    } finally {
      this.#inlineBusy = false;
    }
  }

  /**
   * With `memoize`: settles `waiting` from an equal task's result (done or in flight) and returns
   * `undefined`; otherwise returns the entry to fit, which also settles the memo's promise for
   * this task. Without `memoize`, `waiting` itself.
   */
  #throughMemo(waiting: Waiting, task: FoldFitTask): Waiting | undefined {
    if (this.#memo === undefined || waiting.memoized === true) return waiting;
    const key = taskDigest(task);
    const known = this.#memo.get(key);
    if (known !== undefined) {
      this.#memoHits++;
      known.then(waiting.resolve, waiting.reject);
      return undefined;
    }
    let settle: Pick<Waiting, 'resolve' | 'reject'> | undefined;
    const result = new Promise<FoldFitResult>((resolve, reject) => (settle = { resolve, reject }));
    // A failed fit is not remembered: an equal task later (after a transient error) fits again.
    result.catch(() => this.#memo?.delete(key));
    this.#memo.set(key, result);
    return {
      make: waiting.make,
      memoized: true,
      resolve: (r) => {
        settle!.resolve(r);
        waiting.resolve(r);
      },
      reject: (e) => {
        settle!.reject(e);
        waiting.reject(e);
      },
    };
  }

  #wantThreads(): void {
    if (this.#threadsWanted) return;
    this.#threadsWanted = true;
    this.#pump();
  }

  #startThread(): Slot {
    const data: FoldFitWorkerData = { priority: this.#priority };
    const thread = new Worker(WORKER_FILE, { workerData: data });
    const slot: Slot = { thread, exited: new Promise((resolve) => thread.once('exit', () => resolve())), ready: false, current: undefined };
    slot.thread.on('message', (reply: FoldFitReply) => {
      if (reply.kind === 'ready') {
        slot.ready = true;
        if (this.#slots.every((s) => s.ready)) for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
        this.#pump();
        return;
      }
      const current = slot.current;
      if (current === undefined || current.id !== reply.id) return;
      slot.current = undefined;
      if (reply.kind === 'done') {
        this.#fitsOnThreads++;
        current.resolve(reply.result);
      }
      else current.reject(reply.error === 'MelesError' ? new MelesError(`A LightGBM fit failed in its worker thread: ${reply.message}`) : new ERRORS[reply.error](reply.message));
      this.#pump();
    });
    // A thread that dies is not replaced: whatever killed it (a crash in native code, a loader
    // that cannot start) would most likely kill the next one too, so every fit still waiting
    // fails with the reason instead of the pool starting threads in a loop.
    const lost = (why: string): void => {
      if (!this.#slots.includes(slot)) return;
      this.#slots.splice(this.#slots.indexOf(slot), 1);
      const error = new MelesError(`The LightGBM fit worker thread ${why}`);
      slot.current?.reject(error);
      slot.current = undefined;
      void this.#stop(`The LightGBM fit pool stopped: a worker thread ${why},`);
    };
    slot.thread.on('error', (error: Error) => lost(`failed: ${error.message}`));
    slot.thread.on('exit', (code) => lost(`exited (code ${code}) without a result`));
    this.#slots.push(slot);
    return slot;
  }
}

/**
 * A digest of everything a fit's result depends on: parameters, iterations, columns and every
 * byte of the matrices and labels (sha256; ~6 ms for the demo's largest task of 12 MB).
 */
function taskDigest(task: FoldFitTask): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ params: task.params, numIterations: task.numIterations, cols: task.cols }));
  for (const array of [task.trainX, task.trainY, task.heldX, task.testX]) {
    hash.update(String(array.length));
    hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
  return hash.digest('hex');
}

/** The task of `waiting`, or `undefined` after rejecting it with the error its factory threw (an aborted signal, say). */
function build(waiting: Waiting): FoldFitTask | undefined {
  try {
    return waiting.make();
  } catch (error) {
    waiting.reject(error);
    return undefined;
  }
}
