/**
 * Test fixtures shared by the projection tests (`report/projections/`, `report/run/`): planted,
 * well separated Gaussian clusters, and the share of points whose nearest neighbour in a 2-D
 * projection has the same label (how visibly a projection keeps the clusters apart).
 */
import { Rng } from '../../data/random.js';

/** Options of {@link plantedClusters}. */
export interface ClusterOptions {
  /** Points per cluster. */
  readonly perCluster: number;
  /** Seed of the centres and the noise. @defaultValue `7` */
  readonly seed?: number;
  /** Number of clusters. @defaultValue `4` */
  readonly clusters?: number;
  /** Dimensions of every point. @defaultValue `12` */
  readonly dims?: number;
  /** Standard deviation of the centres; the noise around them has standard deviation 1. @defaultValue `6` */
  readonly spread?: number;
}

/** Planted clusters: `rows` grouped by cluster, `labels[i]` the cluster of row `i`. */
export function plantedClusters(options: ClusterOptions): { rows: number[][]; labels: number[] } {
  const { perCluster, seed = 7, clusters = 4, dims = 12, spread = 6 } = options;
  const rng = new Rng(seed);
  const centres = Array.from({ length: clusters }, () => Array.from({ length: dims }, () => rng.normal() * spread));
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let c = 0; c < clusters; c++) {
    for (let i = 0; i < perCluster; i++) {
      rows.push(centres[c]!.map((m) => m + rng.normal()));
      labels.push(c);
    }
  }
  return { rows, labels };
}

/** Share of points whose nearest other point in the plane has the same label (1-NN, leave-one-out). */
export function neighbourAgreement(p: { readonly x: Float64Array; readonly y: Float64Array }, labels: readonly number[]): number {
  let same = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = -1;
    let bestD = Infinity;
    for (let j = 0; j < labels.length; j++) {
      if (j === i) continue;
      const d = (p.x[i]! - p.x[j]!) ** 2 + (p.y[i]! - p.y[j]!) ** 2;
      if (d < bestD) [bestD, best] = [d, j];
    }
    if (labels[best] === labels[i]) same++;
  }
  return same / labels.length;
}
