import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { metricBarChart, type MetricBar } from './bar-chart.js';
import { trainingCurvesChart } from './training-curves.js';
import { embeddingScatterChart } from './scatter.js';
import { renderVegaLite } from './render.js';

function countRole(svg: string, role: string): number {
  return svg.match(new RegExp(`aria-roledescription="${role}"`, 'g'))?.length ?? 0;
}

describe('metricBarChart', () => {
  const bars: MetricBar[] = [
    { method: 'hand-crafted', metric: 'age accuracy', mean: 0.41, halfWidth: 0.02 },
    { method: 'MeLES', metric: 'age accuracy', mean: 0.52, halfWidth: 0.015 },
    { method: 'random', metric: 'age accuracy', mean: 0.3, halfWidth: 0.03 },
    { method: 'hand-crafted', metric: 'gender AUROC', mean: 0.71, halfWidth: 0.01 },
    { method: 'MeLES', metric: 'gender AUROC', mean: 0.78, halfWidth: 0.012 },
    { method: 'random', metric: 'gender AUROC', mean: 0.55, halfWidth: 0.02 },
  ];

  it('draws one bar, one whisker and one value label per method and metric', async () => {
    const { svg } = await renderVegaLite(metricBarChart(bars));
    assert.equal(countRole(svg, 'bar'), 6);
    assert.equal(countRole(svg, 'rule mark'), 6);
    assert.match(svg, /0\.520<\/tspan><tspan[^>]*>± 0\.015/);
    assert.match(svg, /gender AUROC/);
  });

  it('puts the whisker ends at mean ± half-width', () => {
    const spec = metricBarChart(bars);
    const values = (spec as { data: { values: { low: number; high: number }[] } }).data.values;
    assert.ok(Math.abs(values[1]!.low - 0.505) < 1e-12);
    assert.ok(Math.abs(values[1]!.high - 0.535) < 1e-12);
  });
});

describe('trainingCurvesChart', () => {
  it('draws three panels and skips measurements that are absent', async () => {
    const rest = { learningRate: 0.002, batches: 9, events: 18000, seconds: 2 };
    const spec = trainingCurvesChart([
      { epoch: 1, loss: 2.1, recallAt4: 0.31, eventsPerSecond: 9000, ...rest },
      { epoch: 2, loss: 1.7, recallAt4: 0.44, eventsPerSecond: 9500, ...rest },
      { epoch: 3, loss: 1.5, recallAt4: null, eventsPerSecond: 9400, ...rest },
    ]);
    const values = (spec as { data: { values: unknown[] } }).data.values;
    assert.equal(values.length, 3 + 2 + 3);
    const { svg } = await renderVegaLite(spec);
    assert.match(svg, /validation recall@4/);
    assert.match(svg, /events \/ s/);
    assert.equal(countRole(svg, 'line mark'), 3);
    assert.equal(countRole(svg, 'point'), 8);
  });
});

describe('embeddingScatterChart', () => {
  it('draws one dot per point and a legend entry per label', async () => {
    const points = Array.from({ length: 40 }, (_, i) => ({ x: Math.cos(i), y: Math.sin(i), label: String(i % 4) }));
    const { svg } = await renderVegaLite(embeddingScatterChart(points, { title: 'PCA', labelName: 'age_group' }));
    assert.equal(countRole(svg, 'circle'), 40);
    assert.match(svg, /age_group/);
    for (const label of ['0', '1', '2', '3']) assert.match(svg, new RegExp(`>${label}<`));
  });
});
