/**
 * The training configuration (`train.json`, CLI flags override it): resolved once, with defaults
 * spread in one place and every field validated with a message naming the field and the value.
 * Defaults follow the MeLES age_pred setup of pytorch-lifestream where it applies.
 */
import { z } from 'zod';
import { readJsonFile } from '../data/json-file.js';
import { createSplitter, DEFAULT_SPLITTER, type SplitterConfig } from '../sampling/create-splitter.js';
import { createLoss, DEFAULT_LOSS, DEFAULT_MINER, type LossConfig, type MinerConfig } from '../metric/create-loss.js';
import { type EncoderOptions, resolveEncoderOptions } from '../encoders/encoder-config.js';
import { ConfigError } from '../errors.js';
import { expectInteger, expectKnownKeys, expectNumber, expectOneOf } from '../options.js';
import type { ScheduleConfig } from './lr-schedule.js';

/** Resolved training options. */
export interface TrainingOptions {
  /** Architecture. @defaultValue see {@link resolveEncoderOptions} */
  readonly encoder: EncoderOptions;
  /** How each client becomes views. @defaultValue 5 random slices of 25–200 events */
  readonly splitter: SplitterConfig;
  /** Splitter for validation clients. @defaultValue 5 random slices of 25–100 events (ptls valid) */
  readonly validationSplitter: SplitterConfig;
  /** Metric loss. @defaultValue contrastive, margin 0.5 */
  readonly loss: LossConfig;
  /** Pair/triplet miner (`null` = the loss's default). @defaultValue hard negatives, 5 per anchor */
  readonly miner: MinerConfig | null;
  /** Clients per batch (each contributes one view per split). Minimum `2`. @defaultValue `64` */
  readonly batchSize: number;
  /** Passes over the training clients. Minimum `1`. @defaultValue `10` */
  readonly epochs: number;
  /** Adam learning rate at the start. @defaultValue `0.002` */
  readonly learningRate: number;
  /** Learning-rate schedule, applied after each epoch. @defaultValue step: ×0.9025 every 30 epochs (ptls age_pred) */
  readonly schedule: ScheduleConfig;
  /** Seed of weights, shuffling, views and noise: same seed and backend → same model. @defaultValue `42` */
  readonly seed: number;
  /** Share of clients held out for validation recall@4 (0 = none). In [0, 0.5]. @defaultValue `0.05` */
  readonly validationShare: number;
  /** Clients per validation batch (recall@4 is computed within a batch). @defaultValue `256` */
  readonly validationBatchSize: number;
  /** Stop an epoch after this many batches (0 = all); for quick runs and tests. @defaultValue `0` */
  readonly maxBatchesPerEpoch: number;
}

const KEYS = [
  'encoder',
  'splitter',
  'validationSplitter',
  'loss',
  'miner',
  'batchSize',
  'epochs',
  'learningRate',
  'schedule',
  'seed',
  'validationShare',
  'validationBatchSize',
  'maxBatchesPerEpoch',
] as const;

/** The defaults, spread once by {@link resolveTrainingOptions}. */
export const DEFAULT_TRAINING: Omit<TrainingOptions, 'encoder'> = {
  splitter: DEFAULT_SPLITTER,
  validationSplitter: { kind: 'slices', splitCount: 5, cntMin: 25, cntMax: 100 },
  loss: DEFAULT_LOSS,
  miner: DEFAULT_MINER,
  batchSize: 64,
  epochs: 10,
  learningRate: 0.002,
  schedule: { kind: 'step', stepEpochs: 30, gamma: 0.9025 },
  seed: 42,
  validationShare: 0.05,
  validationBatchSize: 256,
  maxBatchesPerEpoch: 0,
};

/** A partial configuration as read from JSON or flags. */
export type TrainingConfigInput = Partial<Record<(typeof KEYS)[number], unknown>>;

/** Merges `layers` (later wins; `encoder` merged field by field), applies defaults and validates. */
export function resolveTrainingOptions(where: string, ...layers: TrainingConfigInput[]): TrainingOptions {
  let merged: Record<string, unknown> = {};
  let encoder: Record<string, unknown> = {};
  for (const layer of layers) {
    expectKnownKeys(where, layer, KEYS);
    const { encoder: e, ...rest } = layer;
    if (e !== undefined) encoder = { ...encoder, ...expectRecord(`${where} \`encoder\``, e) };
    merged = { ...merged, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
  }
  const o = { ...DEFAULT_TRAINING, ...merged } as Record<keyof TrainingOptions, unknown>;
  const options: TrainingOptions = {
    encoder: resolveEncoderOptions(encoder, `${where} \`encoder\``),
    splitter: checkSplitter(`${where} \`splitter\``, o.splitter),
    validationSplitter: checkSplitter(`${where} \`validationSplitter\``, o.validationSplitter),
    loss: expectRecord(`${where} \`loss\``, o.loss) as unknown as LossConfig,
    miner: o.miner === null ? null : (expectRecord(`${where} \`miner\``, o.miner) as unknown as MinerConfig),
    batchSize: expectInteger('batchSize', o.batchSize, 2),
    epochs: expectInteger('epochs', o.epochs, 1),
    learningRate: expectNumber('learningRate', o.learningRate, Number.MIN_VALUE, 10),
    schedule: checkSchedule(`${where} \`schedule\``, o.schedule),
    seed: expectInteger('seed', o.seed, 0, 2 ** 32 - 1),
    validationShare: expectNumber('validationShare', o.validationShare, 0, 0.5),
    validationBatchSize: expectInteger('validationBatchSize', o.validationBatchSize, 2),
    maxBatchesPerEpoch: expectInteger('maxBatchesPerEpoch', o.maxBatchesPerEpoch, 0),
  };
  // Building the loss once here turns a bad loss/miner config into a ConfigError at the boundary.
  createLoss(options.loss, options.miner ?? undefined).dispose();
  return options;
}

/** Reads a `train.json` file (validation happens in {@link resolveTrainingOptions}). */
export async function readTrainingConfig(path: string): Promise<TrainingConfigInput> {
  // train.json is the user's configuration, so its problems are ConfigErrors.
  return expectRecord(path, await readJsonFile(path, 'training config', z.unknown(), { errorClass: ConfigError })) as TrainingConfigInput;
}

function checkSplitter(where: string, value: unknown): SplitterConfig {
  const config = expectRecord(where, value) as SplitterConfig;
  try {
    createSplitter(config);
  } catch (error) {
    throw new ConfigError(`${where}: ${(error as Error).message}`, { cause: error });
  }
  return config;
}

function checkSchedule(where: string, value: unknown): ScheduleConfig {
  const o = expectRecord(where, value);
  const kind = expectOneOf('schedule.kind', o.kind, ['constant', 'step', 'cosine', 'plateau'] as const);
  switch (kind) {
    case 'constant':
      expectKnownKeys(where, o, ['kind']);
      return { kind };
    case 'step':
      expectKnownKeys(where, o, ['kind', 'stepEpochs', 'gamma']);
      return { kind, stepEpochs: expectInteger('schedule.stepEpochs', o.stepEpochs ?? 30, 1), gamma: expectNumber('schedule.gamma', o.gamma ?? 0.9025, 0, 1) };
    case 'cosine':
      expectKnownKeys(where, o, ['kind', 'minLearningRate']);
      return { kind, minLearningRate: expectNumber('schedule.minLearningRate', o.minLearningRate ?? 0, 0) };
    case 'plateau':
      expectKnownKeys(where, o, ['kind', 'factor', 'patience', 'minLearningRate']);
      return {
        kind,
        factor: expectNumber('schedule.factor', o.factor ?? 0.5, 0, 1),
        patience: expectInteger('schedule.patience', o.patience ?? 2, 0),
        minLearningRate: expectNumber('schedule.minLearningRate', o.minLearningRate ?? 0, 0),
      };
  }
}

function expectRecord(where: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`Expected ${where} to be an object, got \`${JSON.stringify(value)}\` (${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value})`);
  }
  return value as Record<string, unknown>;
}
