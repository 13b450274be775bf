import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { baselineTestsHtml, comparisonHighlightsHtml, comparisonTableHtml } from './comparison-html.js';
import { baselineTestsMarkdown, comparisonTableMarkdown } from './comparison-markdown.js';
import { comparisonBars, comparisonView, partDescription, type ComparisonSource } from './comparison-view.js';
import { escapeHtml, formatDifference, formatInterval, formatNumber, formatPValue, formatTStatistic } from './format.js';

const summary = (mean: number, halfWidth: number) => ({ mean, std: halfWidth / 1.24, halfWidth });
const result = (set: string, target: string, metric: 'accuracy' | 'auroc', valid: number, test: number) => ({
  set, target, metrics: [{ metric, valid: summary(valid, 0.01), test: summary(test, 0.02) }],
});
const ttest = (set: string, target: string, metric: 'accuracy' | 'auroc', part: 'valid' | 'test', meanDiff: number, pValue: number) => ({
  set, baseline: 'hand <crafted>', target, metric, part, test: { meanDiff, t: 3.5, pValue },
});

const source: ComparisonSource = {
  protocol: { folds: 5, testFraction: 0.1 },
  results: [
    result('hand <crafted>', 'age_group', 'accuracy', 0.41, 0.42),
    result('meles', 'age_group', 'accuracy', 0.51, 0.49),
    result('hand <crafted>', 'gender', 'auroc', 0.70, 0.71),
    { set: 'meles', target: 'gender', metrics: [{ metric: 'auroc', valid: summary(0.75, NaN), test: summary(NaN, NaN) }] },
  ],
  comparisons: [
    ttest('meles', 'age_group', 'accuracy', 'valid', 0.1, 0.00084),
    ttest('meles', 'age_group', 'accuracy', 'test', 0.07, 0.02),
  ],
  baseline: 'hand <crafted>',
  warnings: ['3 ids dropped'],
};

describe('comparisonView', () => {
  it('has one row per set and one column per target, cells of the chosen part', () => {
    const view = comparisonView(source, 'test');
    assert.deepEqual(view.columns.map((c) => c.header), ['age_group accuracy ± 95%', 'gender AUROC ± 95%']);
    assert.deepEqual(view.rows.map((r) => r.set), ['hand <crafted>', 'meles']);
    assert.deepEqual(view.rows.map((r) => r.cells.map((c) => c?.mean)), [[0.42, 0.71], [0.49, NaN]]);
    assert.deepEqual(view.best, [0.49, 0.71]);
    assert.deepEqual(view.tests.map((t) => [t.set, t.label, t.meanDiff]), [['meles', 'age_group accuracy', 0.07]]);
    assert.equal(comparisonView(source, 'valid').rows[1]!.cells[1]!.mean, 0.75);
  });

  it('says what the cells are', () => {
    assert.equal(partDescription(comparisonView(source, 'test')),
      'Mean ± Student-t 95% half-width of the scores on the isolated test part, one model per fold (5 folds); the test part holds 10% of the labelled clients');
    assert.match(partDescription(comparisonView(source, 'valid')), /out-of-fold, 5-fold cross-validation$/);
  });

  it('draws a bar per scored cell, without a whisker when the half-width is undefined', () => {
    const bars = comparisonBars(comparisonView(source, 'valid'));
    assert.deepEqual(bars.map((b) => [b.method, b.metric, b.halfWidth]), [
      ['hand <crafted>', 'age_group accuracy', 0.01], ['meles', 'age_group accuracy', 0.01],
      ['hand <crafted>', 'gender AUROC', 0.01], ['meles', 'gender AUROC', 0],
    ]);
    assert.equal(comparisonBars(comparisonView(source, 'test')).length, 3);
  });
});

describe('comparison renderers', () => {
  const view = comparisonView(source, 'test');

  it('render the same cells to Markdown and HTML', () => {
    assert.deepEqual(comparisonTableMarkdown(view), [
      '| method | age_group accuracy ± 95% | gender AUROC ± 95% |',
      '|---|---|---|',
      '| hand <crafted> | 0.420 ± 0.020 | 0.710 ± 0.020 |',
      '| meles | 0.490 ± 0.020 | – |',
    ]);
    const html = comparisonTableHtml(view);
    assert.match(html, /<tr><td>hand &#60;crafted&#62;<\/td><td>0\.420 ± 0\.020<\/td><td class="best">0\.710 ± 0\.020<\/td><\/tr>/);
    assert.match(html, /<td class="best">0\.490 ± 0\.020<\/td><td>–<\/td>/);
  });

  it('render the t-tests of the part with sign, p-value and t', () => {
    assert.deepEqual(baselineTestsMarkdown(view).slice(2), ['| meles | age_group accuracy | +0.070 | 0.020 | 3.50 |']);
    assert.match(baselineTestsHtml(view), /^<h3>Paired t-tests against hand &#60;crafted&#62; \(test-part scores\)<\/h3>/);
    assert.match(baselineTestsHtml(comparisonView(source, 'valid'), 2), /<td>\+0\.100<\/td><td>8\.4e-4<\/td><td>3\.50<\/td>/);
    assert.equal(baselineTestsHtml({ ...view, tests: [] }), '');
  });

  it('name the best and lowest set per column', () => {
    assert.match(comparisonHighlightsHtml(view), /age_group accuracy: best <b>meles<\/b> 0\.490 ± 0\.020, lowest hand &#60;crafted&#62; 0\.420 ± 0\.020 \(difference 0\.070; 95% intervals do not overlap\)/);
  });
});

describe('format', () => {
  it('prints undefined values as – and keeps the conventions of both reports', () => {
    assert.equal(formatInterval(0.64, 0.0049), '0.640 ± 0.005');
    assert.equal(formatInterval(0.64, NaN), '0.640 ± n/a');
    assert.equal(formatInterval(NaN, 0.1), '–');
    assert.equal(formatDifference(-0.01), '-0.010');
    assert.equal(formatDifference(0), '+0.000');
    assert.equal(formatPValue(0.00084), '8.4e-4');
    assert.equal(formatPValue(0.5), '0.500');
    assert.equal(formatPValue(NaN), '–');
    assert.equal(formatTStatistic(-Infinity), '−∞');
    assert.equal(formatTStatistic(NaN), '–');
    assert.equal(formatNumber(43210.4), '43,210');
    assert.equal(formatNumber(0.4567), '0.457');
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });
});
