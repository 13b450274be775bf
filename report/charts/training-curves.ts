/**
 * Training curves: loss, validation recall@4 and throughput (events/s) per epoch, as three
 * side-by-side panels sharing the epoch axis.
 */
import type { TopLevelSpec } from 'vega-lite';

/** What one finished epoch reported. Missing measurements are left out of their panel. */
export interface EpochPoint {
  /** Epoch number as the trainer logs it (`meles train` counts from 0). */
  readonly epoch: number;
  /** Mean training loss over the epoch. */
  readonly loss: number;
  /** Validation recall@4 (share of same-client slices among the 4 nearest); absent if not measured. */
  readonly recallAt4?: number;
  /** Training throughput in events per second. */
  readonly eventsPerSecond?: number;
}

/** Options of {@link trainingCurvesChart}. */
export interface TrainingCurvesOptions {
  /** Chart title. @defaultValue `'Training'` */
  readonly title?: string;
}

const PANELS = ['loss', 'validation recall@4', 'events / s'] as const;

/** Builds the Vega-Lite spec of the training curves (one line panel per measurement). */
export function trainingCurvesChart(epochs: readonly EpochPoint[], options: TrainingCurvesOptions = {}): TopLevelSpec {
  const values: { epoch: number; panel: (typeof PANELS)[number]; value: number }[] = [];
  for (const e of epochs) {
    values.push({ epoch: e.epoch, panel: 'loss', value: e.loss });
    if (e.recallAt4 !== undefined) values.push({ epoch: e.epoch, panel: 'validation recall@4', value: e.recallAt4 });
    if (e.eventsPerSecond !== undefined) values.push({ epoch: e.epoch, panel: 'events / s', value: e.eventsPerSecond });
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
