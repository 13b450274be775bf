/**
 * `NAME.html` of `meles experiment NAME`: a self-contained page (no scripts, inline SVG) with the
 * lecture-layout table of an {@link ExperimentView} (best measured cell per column in bold), the
 * bar chart of the measured cells with 95% error bars, the t-tests against the default method, what
 * each method changes, the settings and the command; for a label-fraction run also the tables by
 * fraction and the curve chart (experiment-fractions.ts).
 */
import { renderComparisonChart } from './comparison-chart.js';
import { baselineTestsHtml, COMPARISON_STYLE } from './comparison-html.js';
import { partDescription } from './comparison-view.js';
import { fractionSectionHtml } from './experiment-fractions.js';
import { publishedCell } from './experiment-markdown.js';
import { experimentView, PUBLISHED_SOURCE_LABEL, type ExperimentTableSource, type ExperimentView } from './experiment-table.js';
import { escapeHtml, formatInterval, formatSeconds } from './format.js';

/** Renders the experiment page. */
export async function experimentHtml(source: ExperimentTableSource): Promise<string> {
  const view = experimentView(source);
  const chart = (await renderComparisonChart(view.comparison))?.svg ?? '';
  const described = view.rows.map((r) => `<tr><td>${escapeHtml(r.method)}</td><td>${escapeHtml(r.description)}</td></tr>`).join('');
  const settings = Object.entries(source.settings).map(([k, v]) => `<li>${escapeHtml(k)}: ${escapeHtml(String(v))}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>meles experiment: ${escapeHtml(view.title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}
td.published{color:#555}
${COMPARISON_STYLE}
</style></head><body>
<h1>${escapeHtml(view.title)}</h1>
<pre>${escapeHtml(view.command)}</pre>
${experimentTableHtml(view)}
<p>${escapeHtml(partDescription(view.comparison))}. Best measured cell per column in bold. Wall time ${escapeHtml(formatSeconds(source.seconds))}.</p>
${view.publishedSources.map((s) => `<p><small>${s === 'ptls' ? '† ' : 'Published numbers: '}${escapeHtml(PUBLISHED_SOURCE_LABEL[s])}.</small></p>`).join('\n')}
<figure class="chart" id="ab-chart">${chart}</figure>
${source.fractions === undefined ? '' : await fractionSectionHtml(source, source.fractions)}
${baselineTestsHtml(view.comparison, 2)}
<h2>Methods</h2>
<table id="experiment-methods"><thead><tr><th>method</th><th>what changes against the default</th></tr></thead><tbody>${described}</tbody></table>
<h2>Settings</h2>
<ul>${settings}</ul>
</body></html>
`;
}

/** The lecture-layout table: method, one measured `mean ± 95%` per target, the published numbers. */
export function experimentTableHtml(view: ExperimentView): string {
  const head = view.columns.map((c) => `<th>${escapeHtml(c.header)}</th>`).join('');
  const rows = view.rows.map((row) => {
    const cells = row.cells.map((cell, k) => {
      if (cell === undefined) return `<td>${formatInterval(NaN, NaN)}</td>`;
      const best = cell.mean === view.best[k] ? ' class="best"' : '';
      return `<td${best}>${escapeHtml(formatInterval(cell.mean, cell.halfWidth))}</td>`;
    });
    return `<tr><td>${escapeHtml(row.method)}</td>${cells.join('')}<td class="published">${escapeHtml(publishedCell(row))}</td></tr>`;
  });
  return `<table id="experiment-table"><thead><tr><th>${escapeHtml(view.methodHeader)}</th>${head}<th>${escapeHtml(view.publishedHeader)}</th></tr></thead>`
    + `<tbody>${rows.join('')}</tbody></table>`;
}
