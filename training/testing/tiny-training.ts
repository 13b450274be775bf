/**
 * Test helper: the tiny training the file-level training tests share (a GRU of hidden size 8 over
 * 4-wide category embeddings, three slices of 5-20 events per client, two epochs). Each test adds
 * its own batch size, validation share and seed, the settings its checks depend on.
 */
import type { TrainingConfigInput } from '../training-options.js';

/** Encoder, splitter and epochs of the tiny training; spread it and add the rest. */
export const TINY_TRAINING: TrainingConfigInput = {
  encoder: { hidden: 8, categoricalDim: 4 },
  splitter: { kind: 'slices', splitCount: 3, cntMin: 5, cntMax: 20 },
  epochs: 2,
};
