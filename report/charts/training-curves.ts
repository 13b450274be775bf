/**
 * Training curves: loss, validation recall@4 and throughput (events/s) per epoch, as three
 * side-by-side panels sharing the epoch axis.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { EpochMetrics } from '../../training/epoch-metrics.js';

/** Options of {@link trainingCurvesChart}. */
export interface TrainingCurvesOptions {
  /** Chart title. @defaultValue `'Training'` */
  readonly title?: string;
}

const PANELS = ['loss', 'validation recall@4', 'events / s'] as const;

/** Builds the Vega-Lite spec of the training curves (one line panel per measurement). */
export function trainingCurvesChart(epochs: readonly EpochMetrics[], options: TrainingCurvesOptions = {}): TopLevelSpec {
  const values: { epoch: number; panel: (typeof PANELS)[number]; value: number }[] = [];
  for (const e of epochs) {
    // An epoch without batches has a NaN loss and no validation without held-out clients: no point.
    if (Number.isFinite(e.loss)) values.push({ epoch: e.epoch, panel: 'loss', value: e.loss });
    if (e.recallAt4 !== null) values.push({ epoch: e.epoch, panel: 'validation recall@4', value: e.recallAt4 });
    values.push({ epoch: e.epoch, panel: 'events / s', value: e.eventsPerSecond });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title ?? 'Training',
    data: { values },
    facet: { column: { field: 'panel', type: 'nominal', sort: [...PANELS], title: null, header: { labelFontSize: 13 } } },
    spec: {
      width: 220,
      height: 180,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'panel', type: 'nominal', legend: null, sort: [...PANELS] },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}
