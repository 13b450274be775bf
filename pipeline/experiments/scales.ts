/**
 * The sizes of `meles experiment --scale`. `small` was tuned so that the five LightGBM-only experiments
 * finish in about an hour on 2 idle cores; `models` adds 30 sequence models (~20–45 min on a busy
 * machine) and `label-fraction` 80 more, mostly on small training shares (~13 min; measurements in docs/RESULTS.md); `full` is closer to the lecture
 * (more clients, epochs, reference LightGBM); `tiny` is for tests.
 */
import type { ExperimentScale, LabelledScale, ScaleName } from './experiment-types.js';

/**
 * The supervised and fine-tuned rows. ptls fine-tunes 13 epochs at encoder 1e-4 / head 2e-3 and
 * trains its supervised GRU 35 epochs on slices of 150–350 of ~880 events; the synthetic sequences
 * hold 100–300 events, so slices of 50–200 keep a similar share while still augmenting.
 */
const LABELLED: LabelledScale = {
  supervisedEpochs: 15,
  supervisedLearningRate: 0.002,
  finetuneEpochs: 10,
  encoderLearningRate: 1e-4,
  headLearningRate: 2e-3,
  // Chosen on held folds (docs/RESULTS.md): on the raw embedding (components with small spreads
  // around large offsets) a head trained 10 epochs at 2e-3 stayed far from converged.
  standardizeEmbedding: true,
  sliceMin: 50,
  sliceMax: 200,
};

/** Every scale, by name. */
export const SCALES: Readonly<Record<ScaleName, ExperimentScale>> = {
  // A 30-epoch demo at 2000 clients × hidden 64 takes ~160 s end to end; 15 epochs halve the
  // training, and ~17 distinct trainings then fit the hour. 100 trees at learning rate 0.1, as the demo.
  small: { clients: 2000, epochs: 15, hidden: 64, viewMax: 100, hiddenSizes: [16, 32, 64, 128], trees: 100, learningRate: 0.1, seed: 42, labelled: LABELLED, labelFractions: [0.05, 0.1, 0.25, 0.5, 1] },
  // The lecture's hidden sizes where ptls published a number (32, 160, 256, 480) and its reference
  // LightGBM (1000 / 500 trees at 0.02); the default views (25–200 events) of ptls.
  full: { clients: 10000, epochs: 30, hidden: 256, viewMax: 200, hiddenSizes: [32, 160, 256, 480], seed: 42,
    labelled: { ...LABELLED, finetuneEpochs: 13, supervisedEpochs: 30 }, labelFractions: [0.02, 0.05, 0.1, 0.25, 0.5, 1] },
  // 2 folds and 1-epoch labelled models: the CLI tests run every row in seconds.
  tiny: {
    clients: 300, epochs: 1, hidden: 8, viewMax: 60, hiddenSizes: [8, 16], trees: 10, learningRate: 0.1, seed: 42, folds: 2,
    labelled: { ...LABELLED, supervisedEpochs: 1, finetuneEpochs: 1, sliceMax: 60 }, labelFractions: [0.5, 1],
  },
};
