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
  const lanes = Math.min(threads, sources.length);
  if (lanes <= 1) {
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
  // Worker lanes first, so their threads start before this thread gets busy with lane 0.
  for (let lane = 1; lane < lanes; lane++) {
    let previous: Promise<unknown> = Promise.resolve();
    for (let k = lane; k < sources.length; k += lanes) {
      scored[k] = previous.then(() => projectSetInWorker(sampled[k]!.rows, settings));
      previous = scored[k]!.catch(() => undefined);
    }
  }
  // Mark the worker lanes' promises handled: a failure is rethrown below, where its set is awaited.
  for (const pending of scored) pending?.catch(() => undefined);
  opts.onSet?.(sources[0]!, 0);
  for (let k = 0; k < sources.length; k += lanes) {
    scored[k] = projectSet(sampled[k]!.rows, { ...settings, tsneOnWorker: false });
    // Let a worker lane whose set is done start its next one before this thread is busy again.
    await scored[k];
  }
  const made: EmbeddingPictures[] = [];
  for (const [k, set] of sampled.entries()) {
    if (k > 0) opts.onSet?.(set.source, k);
    made.push(await drawEmbeddingSet(set, await scored[k]!));
  }
  return made;
}
