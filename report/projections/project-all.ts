/**
 * The report's hook: run several 2-D projections of the same rows and score each one (local and
 * global score, see `quality.ts`). The projection functions are passed in rather than imported, so
 * this folder does not depend on the run report's files and any caller can choose its methods.
 */
import { scoreAll, type ProjectionScores } from './quality.js';

/** What every projection function returns: `x[i], y[i]` is row `i`, with its wall-clock time. */
export interface PlaneProjection {
  readonly x: Float64Array;
  readonly y: Float64Array;
  /** Wall-clock time of the projection in seconds. */
  readonly seconds: number;
}

/** A projection function of the report (PCA, UMAP, t-SNE, TriMap, …). */
export type Projector = (rows: readonly number[][]) => PlaneProjection;

/** A projection together with its quality scores. */
export interface ScoredProjection extends PlaneProjection {
  readonly scores: ProjectionScores;
  /** Wall-clock time of the scoring in seconds (ranking all points costs O(N² log N)). */
  readonly scoreSeconds: number;
}

/**
 * Runs each projector on `rows`, in the key order of `projectors`, and scores every result against
 * `rows`. The PCA reference of the global score is computed once for all of them.
 */
export function projectAll<M extends string>(
  rows: readonly number[][],
  projectors: Readonly<Record<M, Projector>>,
): Record<M, ScoredProjection> {
  const methods = Object.keys(projectors) as M[];
  const projections = {} as Record<M, PlaneProjection>;
  for (const method of methods) projections[method] = projectors[method](rows);
  return scoreEach(rows, methods, projections);
}

/** A projection function that may run elsewhere (a worker thread) and settle later. */
export type ConcurrentProjector = (rows: readonly number[][]) => PlaneProjection | Promise<PlaneProjection>;

/**
 * {@link projectAll} for projectors that may return a promise: they are called in key order, so a
 * projector that starts a worker thread should come first and then runs while the synchronous
 * ones after it run in this thread. Results equal projectAll's for the same seeded projectors.
 */
export async function projectAllConcurrently<M extends string>(
  rows: readonly number[][],
  projectors: Readonly<Record<M, ConcurrentProjector>>,
): Promise<Record<M, ScoredProjection>> {
  const methods = Object.keys(projectors) as M[];
  const started = methods.map((method) => projectors[method](rows));
  const done = await Promise.all(started);
  const projections = {} as Record<M, PlaneProjection>;
  methods.forEach((method, i) => (projections[method] = done[i]!));
  return scoreEach(rows, methods, projections);
}

function scoreEach<M extends string>(rows: readonly number[][], methods: readonly M[], projections: Record<M, PlaneProjection>): Record<M, ScoredProjection> {
  const start = performance.now();
  const scores = scoreAll(rows, projections);
  // Scoring shares one PCA reference, so its time is split evenly between the methods.
  const scoreSeconds = (performance.now() - start) / 1000 / Math.max(methods.length, 1);
  const out = {} as Record<M, ScoredProjection>;
  for (const method of methods) out[method] = { ...projections[method], scores: scores[method], scoreSeconds };
  return out;
}
