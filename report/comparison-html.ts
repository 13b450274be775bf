/**
 * HTML of a {@link ComparisonView}: the A/B table (best per column in bold), the paired t-tests
 * against the baseline and one highlight sentence per column. Both HTML reports (`meles compare`'s
 * report.html and the run report) are built from these, so they agree cell for cell.
 */
import { columnExtremes, PART_NAME, partDescription, type ComparisonView } from './comparison-view.js';
import { escapeHtml, formatDifference, formatInterval, formatNumber, formatPValue, formatTStatistic } from './format.js';

/** Style rules the fragments rely on (`.best`), for pages to include in their `<style>`. */
export const COMPARISON_STYLE = '.best{font-weight:bold}';

/** What the cells are, then the table: one row per set, one `mean ± 95%` cell per target. */
export function comparisonTableHtml(view: ComparisonView): string {
  const head = view.columns.map((c) => `<th>${escapeHtml(c.header)}</th>`).join('');
  const rows = view.rows.map((row) => {
    const cells = row.cells.map((cell, k) => {
      if (cell === undefined) return `<td>${formatInterval(NaN, NaN)}</td>`;
      const best = cell.mean === view.best[k] ? ' class="best"' : '';
      return `<td${best}>${escapeHtml(formatInterval(cell.mean, cell.halfWidth))}</td>`;
    });
    return `<tr><td>${escapeHtml(row.set)}</td>${cells.join('')}</tr>`;
  });
  return `<p>${escapeHtml(partDescription(view))}. Best per column in bold.</p>`
    + `<table id="ab-table-${view.part}"><thead><tr><th>method</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/**
 * The paired t-tests of the view's part under a heading of `level` (empty without tests).
 * @param level - heading level of the section title. @defaultValue `3`
 */
export function baselineTestsHtml(view: ComparisonView, level: 2 | 3 = 3): string {
  if (view.tests.length === 0) return '';
  const rows = view.tests.map((t) =>
    `<tr>${[t.set, t.label, formatDifference(t.meanDiff), formatPValue(t.pValue), formatTStatistic(t.t)].map((v) => `<td>${escapeHtml(v)}</td>`).join('')}</tr>`,
  );
  return `<h${level}>Paired t-tests against ${escapeHtml(view.baseline ?? '')} (${PART_NAME[view.part]})</h${level}>`
    + `<table id="baseline-tests-${view.part}"><thead><tr><th>method</th><th>metric</th><th>difference</th><th>p (two-sided)</th><th>t</th></tr></thead>`
    + `<tbody>${rows.join('')}</tbody></table>`;
}

/** One sentence per column: which set scored best, which lowest, and whether their 95% intervals overlap. */
export function comparisonHighlightsHtml(view: ComparisonView): string {
  const items = view.columns.flatMap((c, k) => {
    const extremes = columnExtremes(view, k);
    if (extremes === undefined) return [];
    const best = extremes.best.cells[k]!;
    const worst = extremes.worst.cells[k]!;
    const apart = best.mean - best.halfWidth > worst.mean + worst.halfWidth;
    return [`<li>${escapeHtml(c.label)}: best <b>${escapeHtml(extremes.best.set)}</b> ${escapeHtml(formatInterval(best.mean, best.halfWidth))}, `
      + `lowest ${escapeHtml(extremes.worst.set)} ${escapeHtml(formatInterval(worst.mean, worst.halfWidth))} `
      + `(difference ${formatNumber(best.mean - worst.mean)}; 95% intervals ${apart ? 'do not overlap' : 'overlap'})</li>`];
  });
  return `<ul class="highlights">${items.join('')}</ul>`;
}
