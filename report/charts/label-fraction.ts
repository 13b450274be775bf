/**
 * Quality against the labelled fraction: several comparisons (`report.json` / `CompareResult`) of
 * the same rows run with different `--label-fraction` values become one line per row (feature set
 * or included model) per target panel, with 95% error bars — the lecture's "how much do
 * labels matter" curve, where self-supervised embeddings should hold up as labels get scarce.
 */
import type { TopLevelSpec } from 'vega-lite';
import { ConfigError } from '../../errors.js';
import { comparisonView, type ComparisonSource, type ScorePart } from '../comparison-view.js';
import { formatNumber } from '../format.js';

/** A comparison with its labelled fraction (absent or undefined protocol field = 1, all labels). */
export interface LabelFractionSource extends ComparisonSource {
  /** The comparison's protocol; only `labelFraction` is read here. */
  readonly protocol?: { readonly folds: number; readonly testFraction?: number; readonly labelFraction?: number };
}

/** One point of the curve: a row's score on one target at one fraction. */
export interface LabelFractionPoint {
  /** Row of the comparison (feature set or included model), one line each. */
  readonly set: string;
  /** Panel: target and primary metric, e.g. `age_group accuracy`. */
  readonly metric: string;
  /** Labelled fraction of the comparison the score comes from. */
  readonly fraction: number;
  /** Mean score over folds. */
  readonly mean: number;
  /** Student-t 95% half-width (0 when undefined: no whisker). */
  readonly halfWidth: number;
}

/**
 * The points of the curve from comparisons at different labelled fractions, sorted by fraction
 * (cells without a finite score are left out).
 * @param part - which scores. @defaultValue `'test'` (as the A/B table)
 * @throws ConfigError when two comparisons have the same fraction (which one to draw is unclear).
 */
export function labelFractionCurve(results: readonly LabelFractionSource[], part: ScorePart = 'test'): LabelFractionPoint[] {
  const seen = new Set<number>();
  const points: LabelFractionPoint[] = [];
  for (const result of results) {
    const fraction = result.protocol?.labelFraction ?? 1;
    if (seen.has(fraction)) throw new ConfigError(`Expected one comparison per labelled fraction, got two at ${fraction}`);
    seen.add(fraction);
    const view = comparisonView(result, part);
    for (const row of view.rows) {
      view.columns.forEach((column, k) => {
        const cell = row.cells[k];
        if (cell === undefined || !Number.isFinite(cell.mean)) return;
        points.push({ set: row.set, metric: column.label, fraction, mean: cell.mean, halfWidth: Number.isFinite(cell.halfWidth) ? cell.halfWidth : 0 });
      });
    }
  }
  return points.sort((a, b) => a.fraction - b.fraction);
}

/** Options of {@link labelFractionChart}. */
export interface LabelFractionChartOptions {
  /** Chart title. @defaultValue `'Score against the labelled fraction (mean ± 95% CI)'` */
  readonly title?: string;
  /** Width of one panel in pixels. @defaultValue `260` */
  readonly panelWidth?: number;
}

/**
 * The Vega-Lite spec: one panel per target metric, the fraction on a log x axis (fractions are
 * usually spaced geometrically, 1% … 100%), one coloured line with points and 95% whiskers per row.
 */
export function labelFractionChart(points: readonly LabelFractionPoint[], options: LabelFractionChartOptions = {}): TopLevelSpec {
  const sets = [...new Set(points.map((p) => p.set))];
  const values = points.map((p) => ({ ...p, low: p.mean - p.halfWidth, high: p.mean + p.halfWidth, label: formatNumber(p.mean) }));
  const x = { field: 'fraction', type: 'quantitative', title: 'labelled fraction', scale: { type: 'log' }, axis: { format: '~%' } } as const;
  const color = { field: 'set', type: 'nominal', sort: sets, title: null } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title ?? 'Score against the labelled fraction (mean ± 95% CI)',
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, header: { labelFontSize: 13 } } },
    spec: {
      width: options.panelWidth ?? 260,
      height: 220,
      layer: [
        { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: 'score', scale: { zero: false } }, color } },
        { mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color } },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
}
