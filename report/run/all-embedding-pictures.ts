/**
 * The embedding pictures of every set of a run, the sets projected at once on different threads
 * (issue 16). Projecting and scoring a 700-client sample takes seconds and sets are independent,
 * so with two cores the second set is projected on a worker thread while the first is projected
 * here: the report waits for the slower set instead of the sum. Files are read and pictures drawn
 * here, one set after the other, so their errors and outputs are those of running the sets in turn;
 * every projection is seeded, so the pictures and scores are identical too.
 */
import { availableParallelism } from 'node:os';
import { expectInteger } from '../../options.js';
import {
  drawEmbeddingSet,
  embeddingPictures,
  sampleEmbeddingSet,
  type EmbeddingPictures,
  type PictureOptions,
  type PictureSource,
  type SampledSet,
} from './embedding-pictures.js';
import type { ProjectionPrefetch } from './projection-prefetch.js';
import { projectSet, projectSetInWorker, type ScoredSet } from './project-set.js';

/** Options of {@link allEmbeddingPictures}. */
export interface AllPictureOptions extends PictureOptions {
  /**
   * Threads to project on: this one plus up to `threads − 1` worker threads, each projecting
   * whole sets. With 1 (or a single set) the sets run one after the other, each with t-SNE on a
   * worker thread beside the other methods.
   * @defaultValue `os.availableParallelism()`
   */
  readonly threads?: number;
  /**
   * Projections started earlier (`meles demo` starts them while LightGBM compares): a set whose
   * sample and settings match one of them is not projected again. @defaultValue none
   */
  readonly prefetch?: ProjectionPrefetch;
  /** Called before the pictures of each set are made (in `sources` order), for progress bars. */
  readonly onSet?: (source: PictureSource, index: number) => void;
}

/**
 * {@link embeddingPictures} of every source, in `sources` order, with the sets spread over
 * `threads` threads (set `k` on lane `k mod lanes`; lane 0 is this thread).
 * @throws DataFormatError naming the file when an embeddings or targets file does not fit (before
 *   any projection starts); MelesError when a worker thread fails.
 */
export async function allEmbeddingPictures(sources: readonly PictureSource[], opts: AllPictureOptions): Promise<EmbeddingPictures[]> {
  const threads = expectInteger('threads', opts.threads ?? availableParallelism(), 1);
  if (Math.min(threads, sources.length) <= 1 && opts.prefetch === undefined) {
    const made: EmbeddingPictures[] = [];
    for (const [k, source] of sources.entries()) {
      opts.onSet?.(source, k);
      made.push(await embeddingPictures(source, opts));
    }
    return made;
  }
  const sampled: SampledSet[] = [];
  for (const source of sources) sampled.push(await sampleEmbeddingSet(source, opts));
  const settings = { seed: opts.seed, tsneSteps: opts.tsneSteps };
  const scored: Promise<ScoredSet>[] = new Array<Promise<ScoredSet>>(sources.length);
  const todo: number[] = [];
  for (const [k, set] of sampled.entries()) {
    const prefetched = await opts.prefetch?.take(set.rows, settings);
    if (prefetched === undefined) todo.push(k);
    else scored[k] = Promise.resolve(prefetched);
  }
  const lanes = Math.min(threads, todo.length);
  if (lanes === 1) {
    // One lane: the sets left one after the other, each with t-SNE on a worker thread beside the
    // other methods, as for sets projected alone.
    for (const k of todo) {
      scored[k] = projectSet(sampled[k]!.rows, { ...settings, tsneOnWorker: true });
      await scored[k];
    }
  } else if (lanes > 1) {
    // Worker lanes first, so their threads start before this thread gets busy with lane 0.
    for (let lane = 1; lane < lanes; lane++) {
      let previous: Promise<unknown> = Promise.resolve();
      for (let j = lane; j < todo.length; j += lanes) {
        const k = todo[j]!;
        scored[k] = previous.then(() => projectSetInWorker(sampled[k]!.rows, settings));
        previous = scored[k]!.catch(() => undefined);
      }
    }
    // Mark the worker lanes' promises handled: a failure is rethrown below, where its set is awaited.
    for (const pending of scored) pending?.catch(() => undefined);
    for (let j = 0; j < todo.length; j += lanes) {
      const k = todo[j]!;
      if (j === 0) opts.onSet?.(sources[k]!, k);
      scored[k] = projectSet(sampled[k]!.rows, { ...settings, tsneOnWorker: false });
      // Let a worker lane whose set is done start its next one before this thread is busy again.
      await scored[k];
    }
  }
  const made: EmbeddingPictures[] = [];
  for (const [k, set] of sampled.entries()) {
    if (k !== (lanes > 1 ? todo[0] : -1)) opts.onSet?.(set.source, k);
    made.push(await drawEmbeddingSet(set, await scored[k]!));
  }
  return made;
}
