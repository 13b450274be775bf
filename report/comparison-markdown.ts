/** `report.md`: the A/B table in the seed's layout (method | metric ± 95%), t-tests, protocol. */
import type { CompareResult } from '../downstream/evaluation/compare.js';
import { cellSummary, formatCell, formatP, formatT, METRIC_LABEL, tableColumns } from './comparison-table.js';

/** Renders the comparison as Markdown. */
export function reportMarkdown(result: CompareResult): string {
  const columns = tableColumns(result);
  const sets = result.featureSets.map((s) => s.name);
  const table = (part: 'valid' | 'test'): string[] => [
    `| method | ${columns.map((c) => c.header).join(' | ')} |`,
    `|---|${columns.map(() => '---').join('|')}|`,
    ...sets.map((set) => `| ${set} | ${columns.map((c) => formatCell(cellSummary(result, set, c, part))).join(' | ')} |`),
  ];
  const p = result.protocol;
  const lines = [
    '# Downstream comparison',
    '',
    `Scores on the isolated test part (${Math.round(p.testFraction * 100)}% of labelled clients), mean ± Student-t 95% half-width over the ${p.folds} fold models:`,
    '',
    ...table('test'),
    '',
    `Out-of-fold scores (${p.folds}-fold stratified cross-validation):`,
    '',
    ...table('valid'),
    '',
  ];
  if (result.comparisons.length > 0) {
    lines.push(`## Paired t-tests against \`${result.baseline}\``, '', '| set | target | metric | part | mean diff | t | p |', '|---|---|---|---|---|---|---|');
    for (const c of result.comparisons) {
      lines.push(`| ${c.set} | ${c.target} | ${METRIC_LABEL[c.metric]} | ${c.part} | ${c.test.meanDiff >= 0 ? '+' : ''}${c.test.meanDiff.toFixed(4)} | ${formatT(c.test.t)} | ${formatP(c.test.pValue)} |`);
    }
    lines.push('');
  }
  lines.push('## Protocol', '');
  lines.push(`- LightGBM trees: multiclass ${p.numIterations.multiclass}, binary ${p.numIterations.binary}; seed ${p.seed}`);
  for (const s of result.splits) {
    lines.push(`- \`${s.target}\` (${s.kind}, classes ${s.classes.join(', ')}): ${s.labelled} labelled, ${s.used} with features in every set, ${s.test} in the test part`);
  }
  for (const set of result.featureSets) {
    const features = result.results.find((r) => r.set === set.name)?.features ?? 0;
    lines.push(`- set \`${set.name}\`: ${features} features from ${set.paths.map((x) => `\`${x}\``).join(' + ')}`);
  }
  lines.push('', '## Most important features (share of split gain over the fold models)', '');
  for (const r of result.results) {
    const top = r.topFeatures.slice(0, 5).map((t) => `\`${t.name}\` ${(100 * t.gainShare).toFixed(1)}%`);
    lines.push(`- ${r.set} / ${r.target}: ${top.join(', ') || '–'}`);
  }
  if (result.warnings.length > 0) lines.push('', '## Warnings', '', ...result.warnings.map((w) => `- ${w}`));
  return `${lines.join('\n')}\n`;
}
