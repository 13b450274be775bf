/**
 * `report.html` of `meles compare`: one self-contained page (no external files or scripts) with
 * the test-part A/B table and its bar chart (95% error bars, inline SVG), the out-of-fold table,
 * the paired t-tests of each part and the protocol.
 */
import type { CompareResult } from '../downstream/evaluation/compare.js';
import { renderComparisonChart } from './comparison-chart.js';
import { baselineTestsHtml, COMPARISON_STYLE, comparisonTableHtml } from './comparison-html.js';
import { protocolMarkdown } from './comparison-markdown.js';
import { comparisonView } from './comparison-view.js';
import { escapeHtml } from './format.js';

/** Renders the comparison as a self-contained HTML page. */
export async function reportHtml(result: CompareResult): Promise<string> {
  const test = comparisonView(result, 'test');
  const valid = comparisonView(result, 'valid');
  const chart = (await renderComparisonChart(test))?.svg ?? '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>meles: downstream comparison</title>
<style>
body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}
${COMPARISON_STYLE}
</style></head><body>
<h1>Downstream comparison</h1>
${comparisonTableHtml(test)}
<figure class="chart" id="ab-chart">${chart}</figure>
${baselineTestsHtml(test, 2)}
<h2>Out-of-fold scores (${result.protocol.folds}-fold stratified CV)</h2>
${comparisonTableHtml(valid)}
${baselineTestsHtml(valid, 2)}
<pre>${escapeHtml(protocolMarkdown(result))}</pre>
<p><small>Finished ${escapeHtml(result.finishedAt)}</small></p>
</body></html>
`;
}
