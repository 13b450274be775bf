/**
 * 2-D projections of embeddings for the report's pictures: PCA (linear, global structure), UMAP
 * and t-SNE (non-linear, local neighbourhoods), TriMap (non-linear, keeps more global layout; in
 * `../projections/`). All are seeded from {@link Rng} so the same run directory always gives the
 * same pictures. t-SNE and TriMap are O(N²), so callers project a sample.
 */
import { PCA } from 'ml-pca';
import { UMAP } from 'umap-js';
import { Rng } from '../../data/random.js';
import { ShapeError } from '../../errors.js';
import { expectInteger } from '../../options.js';
import { projectTrimap as trimap } from '../projections/trimap.js';
import { projectionScores, type ProjectionScores } from '../projections/quality.js';
import { tsne } from '../projections/tsne.js';

/** Points projected to the plane; `x[i], y[i]` is row `i` of the input. */
export interface Projection2D {
  readonly x: Float64Array;
  readonly y: Float64Array;
  /** Wall-clock time of the projection in seconds (shown in the report's timings). */
  readonly seconds: number;
  /** Local (R_NX AUC) and global (GS) quality scores, once {@link scoreProjection} added them. */
  readonly scores?: ProjectionScores;
}

/** Options of {@link projectUmap} and {@link projectTsne}. */
export interface ProjectionOptions {
  /** Seed of the random initialisation. @defaultValue `42` */
  readonly seed?: number;
  /** UMAP: size of the local neighbourhood. @defaultValue `15` */
  readonly neighbours?: number;
  /** t-SNE: number of gradient steps. @defaultValue `300` */
  readonly tsneSteps?: number;
  /** t-SNE: perplexity (effective number of neighbours). @defaultValue `30` */
  readonly perplexity?: number;
}

/** Projects rows onto their first two principal components (centred, not scaled). */
export function projectPca(rows: readonly number[][]): Projection2D {
  checkRows(rows, 3);
  const start = performance.now();
  const projected = new PCA(rows as number[][], { center: true }).predict(rows as number[][], { nComponents: 2 });
  const x = Float64Array.from(projected.getColumn(0));
  const y = Float64Array.from(projected.getColumn(1));
  return { x, y, seconds: elapsed(start) };
}

/** Projects rows with UMAP (umap-js), seeded. */
export function projectUmap(rows: readonly number[][], options: ProjectionOptions = {}): Projection2D {
  checkRows(rows, 4);
  const rng = new Rng(options.seed ?? 42);
  // UMAP needs at least two neighbours and fewer neighbours than points.
  const neighbours = Math.min(expectInteger('neighbours', options.neighbours ?? 15, 2), rows.length - 1);
  const start = performance.now();
  const umap = new UMAP({ nComponents: 2, nNeighbors: neighbours, minDist: 0.1, random: () => rng.next() });
  const out = umap.fit(rows as number[][]);
  return { ...columns(out), seconds: elapsed(start) };
}

/**
 * Projects rows with exact t-SNE (`../projections/tsne.ts`: the algorithm and defaults of
 * @keckelt/tsne, learning rate 10), seeded. Cost grows with the square of the row count.
 */
export function projectTsne(rows: readonly number[][], options: ProjectionOptions = {}): Projection2D {
  checkRows(rows, 4);
  const steps = expectInteger('tsneSteps', options.tsneSteps ?? 300, 1);
  // Perplexity must stay below the number of neighbours each point has.
  const perplexity = Math.min(options.perplexity ?? 30, Math.max(2, Math.floor((rows.length - 1) / 3)));
  const rng = new Rng(options.seed ?? 42);
  const start = performance.now();
  const width = rows[0]!.length;
  const data = new Float64Array(rows.length * width);
  rows.forEach((row, i) => data.set(row, i * width));
  const { x, y } = tsne(data, rows.length, width, { perplexity, steps, epsilon: 10, normal: () => rng.normal() });
  return { x, y, seconds: elapsed(start) };
}

/** Projects rows with TriMap (`../projections/trimap.ts`), seeded, 400 steps. */
export function projectTrimap(rows: readonly number[][], options: ProjectionOptions = {}): Projection2D {
  checkRows(rows, 8);
  // TriMap needs inliers + outliers (5) + 2 rows; a small sample uses fewer inliers than 10.
  const { x, y, seconds } = trimap(rows, { seed: options.seed ?? 42, inliers: Math.min(10, rows.length - 7) });
  return { x, y, seconds };
}

/** The projection with its local and global quality scores against `rows` (`../projections/quality.ts`). */
export function scoreProjection(rows: readonly number[][], projection: Projection2D): Projection2D {
  return { ...projection, scores: projectionScores(rows, projection) };
}

/**
 * Picks at most `max` distinct row indices uniformly at random (seeded), in ascending order so
 * the sample keeps file order.
 */
export function sampleIndices(count: number, max: number, seed: number): Int32Array {
  expectInteger('max', max, 1);
  const all = Int32Array.from({ length: count }, (_, i) => i);
  if (count <= max) return all;
  new Rng(seed).shuffle(all);
  return all.subarray(0, max).sort();
}

function columns(points: readonly number[][]): { x: Float64Array; y: Float64Array } {
  return { x: Float64Array.from(points, (p) => p[0]!), y: Float64Array.from(points, (p) => p[1]!) };
}

function checkRows(rows: readonly number[][], minRows: number): void {
  if (rows.length < minRows) throw new ShapeError(`Projection needs at least ${minRows} rows, got ${rows.length}`);
  const width = rows[0]!.length;
  if (width < 2) throw new ShapeError(`Projection needs at least 2 columns, got ${width}`);
  for (let i = 1; i < rows.length; i++) {
    if (rows[i]!.length !== width) throw new ShapeError(`Row ${i} has ${rows[i]!.length} columns, expected ${width}`);
  }
}

function elapsed(start: number): number {
  return (performance.now() - start) / 1000;
}
