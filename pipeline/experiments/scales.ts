/**
 * The sizes of `meles experiment --scale`. `small` is tuned so that the seven experiments finish in
 * about an hour on 2 idle cores (measurements in docs/RESULTS.md); `full` is closer to the lecture
 * (more clients, epochs, reference LightGBM); `tiny` is for tests.
 */
import type { ExperimentScale, ScaleName } from './experiment-types.js';

/** Every scale, by name. */
export const SCALES: Readonly<Record<ScaleName, ExperimentScale>> = {
  // A 30-epoch demo at 2000 clients × hidden 64 takes ~160 s end to end; 15 epochs halve the
  // training, and ~17 distinct trainings then fit the hour. 100 trees at learning rate 0.1, as the demo.
  small: { clients: 2000, epochs: 15, hidden: 64, viewMax: 100, hiddenSizes: [16, 32, 64, 128], trees: 100, learningRate: 0.1, seed: 42 },
  // The lecture's hidden sizes where ptls published a number (32, 160, 256, 480) and its reference
  // LightGBM (1000 / 500 trees at 0.02); the default views (25–200 events) of ptls.
  full: { clients: 10000, epochs: 30, hidden: 256, viewMax: 200, hiddenSizes: [32, 160, 256, 480], seed: 42 },
  tiny: { clients: 300, epochs: 1, hidden: 8, viewMax: 60, hiddenSizes: [8, 16], trees: 10, learningRate: 0.1, seed: 42 },
};
