/**
 * Every projection of the report ({@link PROJECTION_METHODS}) of one embedding sample, each scored
 * (local and global score, one PCA reference for all of them), here or on a worker thread.
 * Every method has its own seeded generator, so where and in which order they run changes no result.
 */
import { projectAllConcurrently, type ConcurrentProjector, type ScoredProjection } from '../projections/project-all.js';
import { projectPca, projectTrimap, projectTsne, projectUmap } from './projections.js';
import type { ProjectionMethod } from './report-content.js';
import { projectTsneInWorker } from './tsne-in-worker.js';
import { runInWorker } from './worker-thread.js';

/** Every projection method's scored projection of one sample. */
export type ScoredSet = Readonly<Record<ProjectionMethod, ScoredProjection>>;

/** Options of {@link projectSet}. */
export interface SetProjectionOptions {
  /** Seed of UMAP, t-SNE and TriMap. */
  readonly seed: number;
  /** t-SNE gradient steps. */
  readonly tsneSteps: number;
  /**
   * Run t-SNE on a worker thread of its own while the other methods run in this thread (worth it
   * when this set is the only work and a second core is free).
   */
  readonly tsneOnWorker: boolean;
}

/** Projects `rows` with every method and scores each projection. */
export async function projectSet(rows: readonly number[][], options: SetProjectionOptions): Promise<ScoredSet> {
  const tsneOptions = { seed: options.seed, tsneSteps: options.tsneSteps };
  // t-SNE first: when it starts a worker thread, it then runs while the others run here.
  const projectors: Record<ProjectionMethod, ConcurrentProjector> = {
    't-SNE': options.tsneOnWorker ? (r) => projectTsneInWorker(r, tsneOptions) : (r) => projectTsne(r, tsneOptions),
    PCA: (r) => projectPca(r),
    UMAP: (r) => projectUmap(r, { seed: options.seed }),
    TriMap: (r) => projectTrimap(r, { seed: options.seed }),
  };
  return projectAllConcurrently(rows, projectors);
}

/** What the worker of {@link projectSetInWorker} receives. */
export interface SetWorkerData {
  readonly rows: readonly number[][];
  readonly seed: number;
  readonly tsneSteps: number;
}

const WORKER_FILE = new URL('./project-set-worker.mjs', import.meta.url);

/**
 * {@link projectSet} on a worker thread, every method one after the other there (t-SNE included:
 * this thread is busy with another set). Gives exactly the result of projectSet in this thread.
 * @throws MelesError with the worker's message when a projection rejects the rows or the thread fails.
 */
export function projectSetInWorker(rows: readonly number[][], options: Omit<SetProjectionOptions, 'tsneOnWorker'>): Promise<ScoredSet> {
  const data: SetWorkerData = { rows, seed: options.seed, tsneSteps: options.tsneSteps };
  return runInWorker<SetWorkerData, ScoredSet>(WORKER_FILE, data, 'Projecting an embedding set');
}
