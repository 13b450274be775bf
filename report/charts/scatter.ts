/**
 * A 2-D embedding picture: one dot per client at its projected position, coloured by a label
 * (age group, gender). Axes carry no units, so they are drawn without titles or labels.
 */
import type { TopLevelSpec } from 'vega-lite';

/** One projected client. */
export interface ScatterPoint {
  /** First projected coordinate. */
  readonly x: number;
  /** Second projected coordinate. */
  readonly y: number;
  /** Category the dot is coloured by, e.g. `'2'` for age group 2. */
  readonly label: string;
}

/** Options of {@link embeddingScatterChart}. */
export interface EmbeddingScatterOptions {
  /** Chart title, e.g. `UMAP, coloured by age_group`. */
  readonly title: string;
  /** Legend title. @defaultValue `'label'` */
  readonly labelName?: string;
  /** Side of the square plot in pixels. @defaultValue `300` */
  readonly size?: number;
}

/** Builds the Vega-Lite spec of an embedding scatter plot coloured by a categorical label. */
export function embeddingScatterChart(points: readonly ScatterPoint[], options: EmbeddingScatterOptions): TopLevelSpec {
  const size = options.size ?? 300;
  const labels = [...new Set(points.map((p) => p.label))].sort(compareLabels);
  const axis = { title: null, labels: false, ticks: false, grid: false } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    width: size,
    height: size,
    data: { values: points.map((p) => ({ x: p.x, y: p.y, label: p.label })) },
    mark: { type: 'circle', size: 14, opacity: 0.65 },
    encoding: {
      x: { field: 'x', type: 'quantitative', axis, scale: { zero: false, nice: false } },
      y: { field: 'y', type: 'quantitative', axis, scale: { zero: false, nice: false } },
      color: {
        field: 'label',
        type: 'nominal',
        sort: labels,
        title: options.labelName ?? 'label',
        scale: { scheme: labels.length <= 10 ? 'category10' : 'tableau20' },
      },
    },
  };
}

/** Numeric labels sort as numbers (`'2' < '10'`), others alphabetically. */
function compareLabels(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a.localeCompare(b);
}
