/**
 * `report.html`: one self-contained page (no external files or scripts) with the A/B table, a
 * bar chart with 95% error bars rendered server-side to inline SVG, the t-tests and the protocol.
 */
import { metricBarChart, type MetricBar } from './charts/bar-chart.js';
import { renderVegaLite } from './charts/render.js';
import type { CompareResult } from '../downstream/evaluation/compare.js';
import { reportMarkdown } from './comparison-markdown.js';
import { cellSummary, formatCell, formatP, formatT, METRIC_LABEL, tableColumns } from './comparison-table.js';

/** Renders the comparison as a self-contained HTML page. */
export async function reportHtml(result: CompareResult): Promise<string> {
  const columns = tableColumns(result);
  const sets = result.featureSets.map((s) => s.name);
  const bars: MetricBar[] = [];
  for (const c of columns) {
    for (const set of sets) {
      const s = cellSummary(result, set, c);
      if (s !== undefined && Number.isFinite(s.mean)) {
        bars.push({ method: set, metric: `${c.target} ${METRIC_LABEL[c.metric]}`, mean: s.mean, halfWidth: Number.isFinite(s.halfWidth) ? s.halfWidth : 0 });
      }
    }
  }
  const chart = bars.length > 0 ? (await renderVegaLite(metricBarChart(bars, { title: 'Test-part score (mean ± 95% CI)' }))).svg : '';
  const row = (cells: string[], tag = 'td') => `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
  const table = (part: 'valid' | 'test') =>
    `<table>${row(['method', ...columns.map((c) => escape(c.header))], 'th')}${sets
      .map((set) => row([escape(set), ...columns.map((c) => escape(formatCell(cellSummary(result, set, c, part))))]))
      .join('')}</table>`;
  const tests = result.comparisons.length === 0 ? '' :
    `<h2>Paired t-tests against ${escape(result.baseline ?? '')}</h2><table>${row(['set', 'target', 'metric', 'part', 'mean diff', 't', 'p'], 'th')}${result.comparisons
      .map((c) => row([c.set, c.target, METRIC_LABEL[c.metric], c.part, c.test.meanDiff.toFixed(4), formatT(c.test.t), formatP(c.test.pValue)].map(escape)))
      .join('')}</table>`;
  // The protocol and warnings sections are the Markdown ones, shown verbatim.
  const markdown = reportMarkdown(result);
  const protocol = markdown.slice(markdown.indexOf('## Protocol'));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>meles: downstream comparison</title>
<style>
body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}
</style></head><body>
<h1>Downstream comparison</h1>
<p>Scores on the isolated test part (${Math.round(result.protocol.testFraction * 100)}% of labelled clients), mean ± Student-t 95% half-width over ${result.protocol.folds} fold models.</p>
${table('test')}
<figure>${chart}</figure>
<h2>Out-of-fold scores (${result.protocol.folds}-fold stratified CV)</h2>
${table('valid')}
${tests}
<pre>${escape(protocol)}</pre>
<p><small>Finished ${escape(result.finishedAt)}</small></p>
</body></html>
`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
