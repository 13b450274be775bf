/**
 * Grouped bar chart of an A/B comparison: one panel per metric, one bar per method, error bars
 * for the 95% confidence interval. Panels get their own y scale because accuracy and AUROC live
 * on different ranges.
 */
import type { TopLevelSpec } from 'vega-lite';
import { formatNumber } from '../format.js';

/** One bar: a method's mean score on one metric with its 95% half-width. */
export interface MetricBar {
  /** Row of the A/B table, e.g. `MeLES` or `hand-crafted`. */
  readonly method: string;
  /** Panel title, e.g. `age_group accuracy`. */
  readonly metric: string;
  /** Mean score over folds. */
  readonly mean: number;
  /** Half-width of the 95% confidence interval (Student t); 0 draws no whisker. */
  readonly halfWidth: number;
}

/** Options of {@link metricBarChart}. */
export interface MetricBarChartOptions {
  /** Chart title. @defaultValue `'A/B comparison (mean ± 95% CI)'` */
  readonly title?: string;
  /** Width of one panel in pixels. @defaultValue 70 per method, at least `220` */
  readonly panelWidth?: number;
}

/**
 * Builds the Vega-Lite spec of a grouped bar chart with error bars (method × metric ± 95%).
 * Bars keep their input order so the chart matches the table.
 */
export function metricBarChart(bars: readonly MetricBar[], options: MetricBarChartOptions = {}): TopLevelSpec {
  const methods = unique(bars.map((b) => b.method));
  const values = bars.map((b) => ({
    method: b.method,
    metric: b.metric,
    mean: b.mean,
    low: b.mean - b.halfWidth,
    high: b.mean + b.halfWidth,
    label: `${formatNumber(b.mean)}\n± ${formatNumber(b.halfWidth)}`,
  }));
  const x = { field: 'method', type: 'nominal', sort: methods, title: null, axis: { labelAngle: -30 } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title ?? 'A/B comparison (mean ± 95% CI)',
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, header: { labelFontSize: 13 } } },
    spec: {
      width: options.panelWidth ?? Math.max(220, 70 * methods.length),
      height: 220,
      layer: [
        {
          mark: { type: 'bar', opacity: 0.85 },
          encoding: {
            x,
            y: { field: 'mean', type: 'quantitative', title: 'score' },
            color: { field: 'method', type: 'nominal', sort: methods, legend: null },
          },
        },
        {
          mark: { type: 'rule', strokeWidth: 1.5 },
          encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } },
        },
        {
          // Two lines (mean, then ± half-width) so labels of neighbouring bars do not overlap.
          mark: { type: 'text', dy: -16, fontSize: 9, lineBreak: '\n' },
          encoding: { x, y: { field: 'high', type: 'quantitative' }, text: { field: 'label' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}
