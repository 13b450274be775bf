/**
 * `report.md` of `meles compare`: per part (test, then out-of-fold) the A/B table of the
 * {@link ComparisonView} (method | target metric ± 95%) and its paired t-tests, then the protocol,
 * the most important features and the warnings.
 */
import type { CompareResult } from '../downstream/evaluation/compare.js';
import { comparisonView, PART_NAME, partDescription, type ComparisonView } from './comparison-view.js';
import { formatDifference, formatInterval, formatPercent, formatPValue, formatTStatistic, MISSING } from './format.js';

const PART_TITLE = { test: 'Test part', valid: 'Out-of-fold' } as const;

/** Renders the comparison as Markdown. */
export function reportMarkdown(result: CompareResult): string {
  const lines = ['# Downstream comparison', ''];
  for (const part of ['test', 'valid'] as const) {
    const view = comparisonView(result, part);
    lines.push(`## ${PART_TITLE[part]}`, '', `${partDescription(view)}.`, '', ...comparisonTableMarkdown(view), '');
    if (view.tests.length > 0) lines.push(`### Paired t-tests against \`${view.baseline ?? ''}\` (${PART_NAME[part]})`, '', ...baselineTestsMarkdown(view), '');
  }
  return `${[...lines, protocolMarkdown(result)].join('\n')}\n`;
}

/** The A/B table of a view as Markdown lines. */
export function comparisonTableMarkdown(view: ComparisonView): string[] {
  return [
    `| method | ${view.columns.map((c) => c.header).join(' | ')} |`,
    `|---|${view.columns.map(() => '---').join('|')}|`,
    ...view.rows.map((row) => `| ${row.set} | ${row.cells.map((s) => formatInterval(s?.mean ?? NaN, s?.halfWidth ?? NaN)).join(' | ')} |`),
  ];
}

/** The paired t-tests of a view as Markdown lines. */
export function baselineTestsMarkdown(view: ComparisonView): string[] {
  return [
    '| method | metric | difference | p (two-sided) | t |',
    '|---|---|---|---|---|',
    ...view.tests.map((t) => `| ${t.set} | ${t.label} | ${formatDifference(t.meanDiff)} | ${formatPValue(t.pValue)} | ${formatTStatistic(t.t)} |`),
  ];
}

/** The `## Protocol` section onwards: trees and seed, rows per target, sets, top features, warnings. */
export function protocolMarkdown(result: CompareResult): string {
  const p = result.protocol;
  const lines = ['## Protocol', ''];
  lines.push(`- LightGBM trees: multiclass ${p.numIterations.multiclass}, binary ${p.numIterations.binary}; seed ${p.seed}`);
  if (p.labelFraction !== undefined) lines.push(`- labelled fraction: models trained on ${formatPercent(p.labelFraction, 0)} of each fold's training clients (stratified, seeded); held folds and test part whole`);
  for (const s of result.splits) {
    lines.push(`- \`${s.target}\` (${s.kind}, classes ${s.classes.join(', ')}): ${s.labelled} labelled, ${s.used} with features in every set, ${s.test} in the test part`);
  }
  for (const set of result.featureSets) {
    const features = result.results.find((r) => r.set === set.name)?.features ?? 0;
    lines.push(`- set \`${set.name}\`: ${features} features from ${set.paths.map((x) => `\`${x}\``).join(' + ')}`);
  }
  for (const inc of result.included ?? []) {
    lines.push(`- ${inc.sets.map((x) => `\`${x}\``).join(', ')}: included from \`${inc.path}\` (same protocol and split fingerprints)`);
  }
  lines.push('', '## Most important features (share of split gain over the fold models)', '');
  for (const r of result.results) {
    const top = r.topFeatures.slice(0, 5).map((t) => `\`${t.name}\` ${formatPercent(t.gainShare)}`);
    lines.push(`- ${r.set} / ${r.target}: ${top.join(', ') || MISSING}`);
  }
  if (result.warnings.length > 0) lines.push('', '## Warnings', '', ...result.warnings.map((w) => `- ${w}`));
  return lines.join('\n');
}
