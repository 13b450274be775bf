/**
 * `NAME.md` of `meles experiment NAME`: the lecture-layout table of an {@link ExperimentView}
 * (method | target metric ± 95% | published), what each method changes, the paired t-tests against
 * the default method, the settings and the command. {@link experimentSectionMarkdown} is also the
 * section docs/RESULTS.md collects.
 */
import { baselineTestsMarkdown } from './comparison-markdown.js';
import { partDescription } from './comparison-view.js';
import { PUBLISHED_SOURCE_LABEL, type ExperimentRow, type ExperimentTableSource, type ExperimentView, experimentView } from './experiment-table.js';
import { fractionTables, fractionTablesMarkdown } from './experiment-fractions.js';
import { formatInterval, formatSeconds } from './format.js';

/** Marks published numbers that come from the ptls ablations rather than the lecture's tables. */
const SOURCE_MARK = { lecture: '', ptls: ' †' } as const;

/** Renders the whole `NAME.md` page. */
export function experimentMarkdown(source: ExperimentTableSource): string {
  const view = experimentView(source);
  return `${[`# ${view.title}`, '', ...experimentSectionMarkdown(source, view).slice(2)].join('\n')}\n`;
}

/** The experiment as a `## title` section: command, table, notes, t-tests, settings. */
export function experimentSectionMarkdown(source: ExperimentTableSource, view: ExperimentView = experimentView(source)): string[] {
  const lines = [`## ${view.title}`, '', '```sh', view.command, '```', ''];
  lines.push(...experimentTableMarkdown(view), '');
  lines.push(`${partDescription(view.comparison)}. Wall time ${formatSeconds(source.seconds)} (reused variants count as 0).`);
  lines.push(...sourceNotes(view), '');
  if (source.fractions !== undefined) {
    lines.push('The table above uses every label. By labelled fraction (each comparison trains every row on that share of each fold\'s training clients; the test part keeps every label):', '');
    lines.push(...fractionTablesMarkdown(fractionTables(source, source.fractions)));
  }
  lines.push('| method | what changes against the default |', '|---|---|', ...view.rows.map((r) => `| ${r.method} | ${r.description} |`), '');
  if (view.comparison.tests.length > 0) {
    lines.push(`Paired t-tests against \`${view.comparison.baseline ?? ''}\` (test part):`, '', ...baselineTestsMarkdown(view.comparison), '');
  }
  lines.push(`Settings: ${Object.entries(source.settings).map(([k, v]) => `${k} ${v}`).join(', ')}.`, '');
  return lines;
}

/** The lecture-layout table as Markdown lines. */
export function experimentTableMarkdown(view: ExperimentView): string[] {
  return [
    `| ${view.methodHeader} | ${view.columns.map((c) => c.header).join(' | ')} | ${view.publishedHeader} |`,
    `|---|${view.columns.map(() => '---').join('|')}|---|`,
    ...view.rows.map((row) => `| ${row.method} | ${row.cells.map((s) => formatInterval(s?.mean ?? NaN, s?.halfWidth ?? NaN)).join(' | ')} | ${publishedCell(row)} |`),
  ];
}

/** The published cell with its source mark. */
export function publishedCell(row: ExperimentRow): string {
  return `${row.published}${row.publishedSource === undefined ? '' : SOURCE_MARK[row.publishedSource]}`;
}

function sourceNotes(view: ExperimentView): string[] {
  return view.publishedSources.map((s) => `${s === 'ptls' ? '† ' : 'Published numbers: '}${PUBLISHED_SOURCE_LABEL[s]}.`);
}
