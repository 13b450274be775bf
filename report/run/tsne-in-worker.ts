/**
 * t-SNE in a worker thread (issue 16): t-SNE is about a third of the report's time and
 * independent of the other projections, so it runs on the second core while UMAP, TriMap and PCA
 * run in this thread. The result is the same as {@link projectTsne}'s: the same code with the same
 * seeded generator, only on another thread.
 */
import { Worker } from 'node:worker_threads';
import { MelesError } from '../../errors.js';
import type { Projection2D, ProjectionOptions } from './projections.js';

/** What the worker receives. */
export interface TsneWorkerData {
  readonly rows: readonly number[][];
  readonly options: ProjectionOptions;
}

/** What the worker posts back. */
export type TsneWorkerReply =
  | { readonly kind: 'done'; readonly x: Float64Array; readonly y: Float64Array; readonly seconds: number }
  | { readonly kind: 'error'; readonly message: string };

const WORKER_FILE = new URL('./tsne-worker.mjs', import.meta.url);

/**
 * {@link projectTsne} of `rows` on a worker thread; the promise settles when the worker is done.
 * @throws MelesError with the worker's message when t-SNE rejects the rows or the thread fails.
 */
export function projectTsneInWorker(rows: readonly number[][], options: ProjectionOptions = {}): Promise<Projection2D> {
  const data: TsneWorkerData = { rows, options };
  const thread = new Worker(WORKER_FILE, { workerData: data });
  return new Promise((resolve, reject) => {
    let settled = false;
    thread.once('message', (reply: TsneWorkerReply) => {
      settled = true;
      if (reply.kind === 'done') resolve({ x: reply.x, y: reply.y, seconds: reply.seconds });
      else reject(new MelesError(`t-SNE failed in its worker thread: ${reply.message}`));
    });
    thread.once('error', (error: Error) => {
      settled = true;
      reject(new MelesError(`The t-SNE worker thread failed: ${error.message}`, { cause: error }));
    });
    thread.once('exit', (code) => {
      if (!settled) reject(new MelesError(`The t-SNE worker thread exited (code ${code}) without a result`));
    });
  });
}
