import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { labelFractionChart, labelFractionCurve, type LabelFractionSource } from './label-fraction.js';
import { renderVegaLite } from './render.js';

/** A comparison at `fraction` (undefined = all labels) with two rows and two targets. */
function comparison(fraction: number | undefined, shift: number): LabelFractionSource {
  const summary = (mean: number, halfWidth: number) => ({ mean, std: 0.01, halfWidth });
  const row = (set: string, age: number, gender: number) => [
    { set, target: 'age_group', metrics: [{ metric: 'accuracy' as const, valid: summary(age, 0.02), test: summary(age, 0.03) }] },
    { set, target: 'gender', metrics: [{ metric: 'auroc' as const, valid: summary(gender, 0.01), test: summary(gender, Number.NaN) }] },
  ];
  return {
    protocol: { folds: 5, testFraction: 0.1, ...(fraction === undefined ? {} : { labelFraction: fraction }) },
    results: [...row('handcrafted', 0.4 + shift, 0.7 + shift), ...row('supervised', 0.3 + 2 * shift, 0.6 + 2 * shift)],
    comparisons: [],
    warnings: [],
  };
}

describe('labelFractionCurve', () => {
  it('turns comparisons at several fractions into points per row and target, sorted by fraction, absent fraction = 1', () => {
    const points = labelFractionCurve([comparison(undefined, 0.1), comparison(0.1, 0), comparison(0.3, 0.05)]);
    assert.deepEqual([...new Set(points.map((p) => p.fraction))], [0.1, 0.3, 1]);
    assert.equal(points.length, 3 * 2 * 2);
    const at = (set: string, metric: string, fraction: number) => points.find((p) => p.set === set && p.metric === metric && p.fraction === fraction)!;
    assert.ok(Math.abs(at('supervised', 'age_group accuracy', 1).mean - 0.5) < 1e-12);
    assert.equal(at('handcrafted', 'age_group accuracy', 0.3).halfWidth, 0.03);
    assert.equal(at('handcrafted', 'gender AUROC', 0.3).halfWidth, 0, 'an undefined half-width draws no whisker');
    assert.equal(labelFractionCurve([comparison(0.1, 0)], 'valid')[0]!.halfWidth, 0.02);
    assert.throws(() => labelFractionCurve([comparison(0.5, 0), comparison(0.5, 0.1)]), { name: 'ConfigError', message: /two at 0\.5/ });
  });

  it('renders one line per row per panel with a whisker per point', async () => {
    const points = labelFractionCurve([comparison(undefined, 0.1), comparison(0.1, 0), comparison(0.3, 0.05)]);
    const { svg } = await renderVegaLite(labelFractionChart(points));
    assert.equal(svg.match(/aria-roledescription="line mark"/g)?.length, 4, '2 rows × 2 panels');
    assert.equal(svg.match(/aria-roledescription="point"/g)?.length, 12, '3 fractions × 2 rows × 2 panels');
    assert.equal(svg.match(/aria-roledescription="rule mark"/g)?.length, 12, 'a whisker per point');
    assert.match(svg, /labelled fraction/);
    assert.match(svg, /gender AUROC/);
    assert.match(svg, /supervised/);
  });
});
