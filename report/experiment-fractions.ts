/**
 * The label-fraction part of an experiment page (`meles experiment label-fraction`): per target,
 * a table of methods × labelled fractions (test-part `mean ± 95%`, best cell per fraction in
 * bold in HTML), and the curve chart (report/charts/label-fraction.ts) of the same cells.
 */
import { labelFractionChart, labelFractionCurve } from './charts/label-fraction.js';
import { renderVegaLite } from './charts/render.js';
import { comparisonView, type ComparisonColumn } from './comparison-view.js';
import type { ExperimentTableSource, FractionComparison } from './experiment-table.js';
import { escapeHtml, formatInterval, formatPercent } from './format.js';
import type { ScoreSummary } from '../downstream/evaluation/stats.js';

/** One target's table: rows = methods, columns = fractions. */
export interface FractionTable {
  /** Target and metric, e.g. `age_group accuracy`. */
  readonly column: ComparisonColumn;
  /** Fractions, ascending. */
  readonly fractions: readonly number[];
  /** Methods in the page's order with a cell per fraction (undefined when not evaluated). */
  readonly rows: readonly { readonly method: string; readonly cells: readonly (ScoreSummary | undefined)[] }[];
  /** Per fraction, the highest mean. */
  readonly best: readonly number[];
}

/** The tables of `fractions` (one per target of the full comparison), methods in `methods` order. */
export function fractionTables(source: ExperimentTableSource, fractions: readonly FractionComparison[]): FractionTable[] {
  const sorted = [...fractions].sort((a, b) => a.fraction - b.fraction);
  const views = sorted.map((f) => comparisonView(f.comparison, 'test'));
  const columns = comparisonView(source.comparison, 'test').columns;
  return columns.map((column) => {
    const rows = source.methods.map((m) => ({
      method: m.set,
      cells: views.map((v) => {
        const k = v.columns.findIndex((c) => c.target === column.target);
        return k < 0 ? undefined : v.rows.find((r) => r.set === m.set)?.cells[k];
      }),
    }));
    const best = sorted.map((_, j) => Math.max(...rows.map((r) => (Number.isFinite(r.cells[j]?.mean) ? r.cells[j]!.mean : -Infinity))));
    return { column, fractions: sorted.map((f) => f.fraction), rows, best };
  });
}

/** The tables as Markdown lines, one `### target metric` block each. */
export function fractionTablesMarkdown(tables: readonly FractionTable[]): string[] {
  return tables.flatMap((t) => [
    `### ${t.column.label} ± 95% by labelled fraction`,
    '',
    `| Method | ${t.fractions.map((f) => fractionLabel(f)).join(' | ')} |`,
    `|---|${t.fractions.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => `| ${r.method} | ${r.cells.map((c) => formatInterval(c?.mean ?? NaN, c?.halfWidth ?? NaN)).join(' | ')} |`),
    '',
  ]);
}

/** The tables and the curve chart as HTML. */
export async function fractionSectionHtml(source: ExperimentTableSource, fractions: readonly FractionComparison[]): Promise<string> {
  const tables = fractionTables(source, fractions).map((t) => {
    const head = t.fractions.map((f) => `<th>${escapeHtml(fractionLabel(f))}</th>`).join('');
    const rows = t.rows.map((r) => {
      const cells = r.cells.map((c, j) => {
        const best = c !== undefined && c.mean === t.best[j] ? ' class="best"' : '';
        return `<td${best}>${escapeHtml(formatInterval(c?.mean ?? NaN, c?.halfWidth ?? NaN))}</td>`;
      });
      return `<tr><td>${escapeHtml(r.method)}</td>${cells.join('')}</tr>`;
    });
    return `<h3>${escapeHtml(t.column.label)} ± 95% by labelled fraction</h3>`
      + `<table class="fraction-table"><thead><tr><th>Method</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
  });
  const points = labelFractionCurve(fractions.map((f) => f.comparison));
  const chart = points.length === 0 ? '' : (await renderVegaLite(labelFractionChart(points))).svg;
  return `<h2>Share of labelled data</h2>
<p>Each column is one comparison whose rows learned from that share of every fold's training clients (stratified, the same clients for every row); the held folds and the test part keep every label. The self-supervised encoder is trained once, without labels.</p>
${tables.join('\n')}
<figure class="chart" id="label-fraction-chart">${chart}</figure>`;
}

/** `5%`, `100%`. */
export function fractionLabel(fraction: number): string {
  return formatPercent(fraction, fraction < 0.1 ? 1 : 0).replace(/\.0%$/, '%');
}
