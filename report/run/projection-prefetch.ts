/**
 * Projections of embedding sets started before their report is built. `meles demo` starts them as
 * soon as both embedding files exist, so the pictures are computed on worker threads while
 * LightGBM compares the feature sets (whose fits run at low priority), instead of after it. The
 * report then takes the projection whose sample and settings are exactly its own; any other set
 * is projected as usual. Every projection is seeded, so a prefetched one is the one the report
 * would have made.
 */
import { createHash } from 'node:crypto';
import { sampleEmbeddingSet, type PictureOptions, type PictureSource } from './embedding-pictures.js';
import { projectSetInWorker, type ScoredSet } from './project-set.js';

/** The settings a set's projections depend on besides its rows. */
export type ProjectionSettings = Pick<PictureOptions, 'seed' | 'tsneSteps'>;

/** Projections started ahead of the report; see the module comment. */
export class ProjectionPrefetch {
  readonly #started = new Map<string, Promise<ScoredSet>>();
  #taken = 0;

  /**
   * Samples every source as the report does and starts projecting each on its own worker thread.
   * A source that cannot be read starts nothing (the report reads it again and reports the error).
   * @param opts - the report's sample size, seed and t-SNE steps (a mismatch only means no reuse)
   */
  static async start(sources: readonly PictureSource[], opts: PictureOptions): Promise<ProjectionPrefetch> {
    const prefetch = new ProjectionPrefetch();
    for (const source of sources) {
      let rows: number[][];
      try {
        rows = (await sampleEmbeddingSet(source, opts)).rows;
      } catch {
        continue;
      }
      const settings = { seed: opts.seed, tsneSteps: opts.tsneSteps };
      const projected = projectSetInWorker(rows, settings);
      // Settled here so a failure is never unhandled; the report projects such a set again.
      projected.catch(() => undefined);
      prefetch.#started.set(projectionKey(rows, settings), projected);
    }
    return prefetch;
  }

  /**
   * The started projection of exactly `rows` under `settings`, or `undefined`. A prefetched
   * projection that failed is not handed out (the caller projects the set itself).
   */
  async take(rows: readonly number[][], settings: ProjectionSettings): Promise<ScoredSet | undefined> {
    const started = this.#started.get(projectionKey(rows, settings));
    if (started === undefined) return undefined;
    const scored = await started.catch(() => undefined);
    if (scored !== undefined) this.#taken++;
    return scored;
  }

  /** Projections handed out by {@link take} so far. */
  get taken(): number {
    return this.#taken;
  }

  /** Waits for every started projection to settle (so no worker thread outlives its caller's work). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.#started.values());
  }
}

/** sha256 of the settings and every coordinate of every row. */
function projectionKey(rows: readonly number[][], settings: ProjectionSettings): string {
  const hash = createHash('sha256').update(JSON.stringify({ seed: settings.seed, tsneSteps: settings.tsneSteps, rows: rows.length }));
  for (const row of rows) hash.update(new Uint8Array(Float64Array.from(row).buffer));
  return hash.digest('hex');
}
