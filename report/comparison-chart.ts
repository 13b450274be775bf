/**
 * The bar chart of a {@link ComparisonView} (one panel per target, one bar per set, 95% error
 * bars), rendered once for both HTML reports and the run report's PNG.
 */
import { metricBarChart } from './charts/bar-chart.js';
import { renderVegaLite, type RenderedChart } from './charts/render.js';
import { comparisonBars, type ComparisonView, type ScorePart } from './comparison-view.js';

const TITLE: Readonly<Record<ScorePart, string>> = {
  test: 'Test-part score (mean ± 95% CI)',
  valid: 'Out-of-fold score (mean ± 95% CI)',
};

/** Renders the view's bar chart; undefined when no cell has a score to draw. */
export async function renderComparisonChart(view: ComparisonView): Promise<RenderedChart | undefined> {
  const bars = comparisonBars(view);
  return bars.length === 0 ? undefined : renderVegaLite(metricBarChart(bars, { title: TITLE[view.part] }));
}
