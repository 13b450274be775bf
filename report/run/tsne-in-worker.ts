/**
 * t-SNE in a worker thread (issue 16): when one embedding set is projected, t-SNE is independent
 * of the other projections, so it runs on the second core while UMAP, TriMap and PCA run in this
 * thread. The result is the same as {@link projectTsne}'s: the same code with the same seeded
 * generator, only on another thread.
 */
import type { Projection2D, ProjectionOptions } from './projections.js';
import { runInWorker } from './worker-thread.js';

/** What the worker receives. */
export interface TsneWorkerData {
  readonly rows: readonly number[][];
  readonly options: ProjectionOptions;
}

const WORKER_FILE = new URL('./tsne-worker.mjs', import.meta.url);

/**
 * {@link projectTsne} of `rows` on a worker thread; the promise settles when the worker is done.
 * @throws MelesError with the worker's message when t-SNE rejects the rows or the thread fails.
 */
export function projectTsneInWorker(rows: readonly number[][], options: ProjectionOptions = {}): Promise<Projection2D> {
  return runInWorker<TsneWorkerData, Projection2D>(WORKER_FILE, { rows, options }, 't-SNE');
}
