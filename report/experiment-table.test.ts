import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ComparisonSource } from './comparison-view.js';
import { experimentHtml } from './experiment-html.js';
import { experimentMarkdown, experimentSectionMarkdown } from './experiment-markdown.js';
import { fractionLabel, fractionTables } from './experiment-fractions.js';
import { experimentView, formatPublished, type ExperimentTableSource } from './experiment-table.js';

const summary = (mean: number, halfWidth: number) => ({ mean, std: halfWidth / 1.24, halfWidth });
const result = (set: string, target: string, metric: 'accuracy' | 'auroc', test: number) => ({
  set, target, metrics: [{ metric, valid: summary(test - 0.01, 0.01), test: summary(test, 0.02) }],
});

const comparison: ComparisonSource = {
  protocol: { folds: 5, testFraction: 0.1 },
  results: [
    result('Random slices', 'age_group', 'accuracy', 0.49),
    result('Random <samples>', 'age_group', 'accuracy', 0.45),
    result('Random slices', 'gender', 'auroc', 0.75),
    result('Random <samples>', 'gender', 'auroc', 0.77),
  ],
  comparisons: [{ set: 'Random <samples>', baseline: 'Random slices', target: 'age_group', metric: 'accuracy', part: 'test', test: { meanDiff: -0.04, t: -3.1, pValue: 0.036 } }],
  baseline: 'Random slices',
  warnings: [],
};

const source: ExperimentTableSource = {
  experiment: 'pairs',
  title: 'Pair generation methods',
  methodHeader: 'Pair generation method',
  command: 'meles experiment pairs --out runs/exp --scale small',
  scale: 'small',
  // Table order is the methods' order, not the comparison's; a method without results shows dashes.
  methods: [
    { set: 'Random <samples>', description: 'splitter random', published: { age: { mean: 0.628, halfWidth: 0.003 }, gender: { mean: 0.851, halfWidth: 0.004 }, source: 'lecture' } },
    { set: 'Random slices', description: 'the default', published: { age: { mean: 0.646 }, source: 'ptls' } },
    { set: 'Supervised', description: 'not available yet' },
  ],
  comparison,
  seconds: 312.4,
  settings: { epochs: 15, 'LightGBM trees': 'multiclass 100, binary 100' },
};

describe('experiment table', () => {
  it('puts rows in method order with measured test-part cells and the published column', () => {
    const view = experimentView(source);
    assert.deepEqual(view.rows.map((r) => r.method), ['Random <samples>', 'Random slices', 'Supervised']);
    assert.deepEqual(view.rows.map((r) => r.cells.map((c) => c?.mean)), [[0.45, 0.77], [0.49, 0.75], [undefined, undefined]]);
    assert.deepEqual(view.rows.map((r) => r.published), ['0.628 ± 0.003 / 0.851 ± 0.004', '0.646 / –', '–']);
    assert.deepEqual(view.publishedSources, ['lecture', 'ptls']);
    assert.deepEqual(view.best, [0.49, 0.77]);
    assert.equal(formatPublished(undefined), '–');
  });

  it('renders the lecture layout as Markdown: header, rows, source marks, t-tests, settings, command', () => {
    const md = experimentMarkdown(source);
    assert.match(md, /^# Pair generation methods\n/);
    assert.ok(md.includes('| Pair generation method | age_group accuracy ± 95% | gender AUROC ± 95% | published (lecture): age accuracy / gender AUROC |'));
    assert.ok(md.includes('| Random <samples> | 0.450 ± 0.020 | 0.770 ± 0.020 | 0.628 ± 0.003 / 0.851 ± 0.004 |'));
    assert.ok(md.includes('| Random slices | 0.490 ± 0.020 | 0.750 ± 0.020 | 0.646 / – † |'));
    assert.ok(md.includes('| Supervised | – | – | – |'));
    assert.ok(md.includes('meles experiment pairs --out runs/exp --scale small'));
    assert.match(md, /Paired t-tests against `Random slices`/);
    assert.match(md, /Wall time 312\.4 s/);
    assert.match(md, /Settings: epochs 15, LightGBM trees multiclass 100, binary 100\./);
    assert.equal(experimentSectionMarkdown(source)[0], '## Pair generation methods');
  });

  it('renders a self-contained HTML page with escaped names, the best cell in bold and a chart', async () => {
    const html = await experimentHtml(source);
    assert.ok(html.startsWith('<!doctype html>'));
    assert.ok(!/<script/i.test(html));
    assert.ok(html.includes('<td>Random &#60;samples&#62;</td>'));
    assert.ok(!html.includes('Random <samples>'));
    assert.ok(html.includes('<td class="best">0.490 ± 0.020</td>'));
    assert.ok(html.includes('<td class="published">0.646 / – †</td>'));
    assert.match(html, /<figure class="chart" id="ab-chart"><svg/);
    assert.match(html, /id="baseline-tests-test"/);
  });

  it('adds a methods × fractions table per target and the curve chart when the source has label fractions', async () => {
    const at = (fraction: number, shift: number): NonNullable<ExperimentTableSource['fractions']>[number] => ({
      fraction,
      comparison: { ...comparison, protocol: { folds: 5, testFraction: 0.1, ...(fraction === 1 ? {} : { labelFraction: fraction }) }, results: comparison.results.map((r) => ({ ...r, metrics: r.metrics.map((m) => ({ ...m, test: summary(m.test.mean - shift, 0.02) })) })) },
    });
    const withFractions: ExperimentTableSource = { ...source, fractions: [at(1, 0), at(0.05, 0.1)] };
    const tables = fractionTables(withFractions, withFractions.fractions!);
    assert.deepEqual(tables.map((t) => t.column.label), ['age_group accuracy', 'gender AUROC']);
    assert.deepEqual(tables[0]!.fractions, [0.05, 1]);
    assert.deepEqual(tables[0]!.rows.map((r) => r.cells.map((c) => c?.mean)), [[0.35, 0.45], [0.39, 0.49], [undefined, undefined]]);
    const md = experimentMarkdown(withFractions);
    assert.ok(md.includes('### age_group accuracy ± 95% by labelled fraction\n\n| Method | 5% | 100% |'));
    assert.ok(md.includes('| Random slices | 0.390 ± 0.020 | 0.490 ± 0.020 |'));
    assert.ok(!experimentMarkdown(source).includes('by labelled fraction'));
    const html = await experimentHtml(withFractions);
    assert.match(html, /<figure class="chart" id="label-fraction-chart"><svg/);
    assert.ok(html.includes('<td class="best">0.390 ± 0.020</td>'));
    assert.equal(fractionLabel(0.025), '2.5%');
  });
});
