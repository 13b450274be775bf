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

/**
 * What the trainer optimises: `meles` (views from the splitter, metric loss), `cpc` (contrastive
 * predictive coding over whole ordered sequences, training/cpc/), `supervised` (a classification
 * head on the sequence embedding; needs labels, see training/labelled/).
 */
export type TrainingMethod = 'meles' | 'cpc' | 'supervised';

/** The methods, in help order. */
export const TRAINING_METHODS: readonly TrainingMethod[] = ['meles', 'cpc', 'supervised'];

/** CPC settings (used when `method` is `cpc`; pytorch-lifestream `CPC_Loss` defaults). */
export interface CpcSettings {
  /** Events ahead the heads predict (K). @defaultValue `6` */
  readonly steps: number;
  /** Negatives per sequence. @defaultValue `40` */
  readonly negatives: number;
}

/** Resolved training options. */
export interface TrainingOptions {
  /**
   * Training objective. For `cpc` and `supervised` every client gives one view: the whole
   * sequence with splitter `none`, else a contiguous crop (`cpc`: `cntMax` events at a random
   * start, as ptls `CpcDataset`; `supervised`: a random slice of `cntMin`..`cntMax` events, as ptls
   * `RandomSlice`); the splitter must be `none`, `slices` or `random`.
   * @defaultValue `'meles'`
   */
  readonly method: TrainingMethod;
  /** CPC heads and negatives (only `method: 'cpc'` reads them). @defaultValue `{ steps: 6, negatives: 40 }` */
  readonly cpc: CpcSettings;
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
  /**
   * On a partitioned dataset (`meles partition`), partitions each epoch reads: a seeded sample,
   * streamed one at a time (training/partition-source.ts); `0` = every partition. Only MeLES and
   * CPC on a partition directory read it (any other value elsewhere is refused by `trainFromFile`).
   * A training option (not a reading detail) so the checkpoint records it and a resume keeps it.
   * @defaultValue `0`
   */
  readonly partitionsPerEpoch: number;
}

const KEYS = [
  'method',
  'cpc',
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
  'partitionsPerEpoch',
] as const;

/** The defaults, spread once by {@link resolveTrainingOptions}. */
export const DEFAULT_TRAINING: Omit<TrainingOptions, 'encoder'> = {
  method: 'meles',
  cpc: { steps: 6, negatives: 40 },
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
  partitionsPerEpoch: 0,
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
    method: expectOneOf('method', o.method, TRAINING_METHODS),
    cpc: checkCpc(`${where} \`cpc\``, o.cpc),
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
    partitionsPerEpoch: expectInteger('partitionsPerEpoch', o.partitionsPerEpoch, 0),
  };
  // Building the loss once here turns a bad loss/miner config into a ConfigError at the boundary.
  createLoss(options.loss, options.miner ?? undefined).dispose();
  checkMethod(where, options);
  return options;
}

/**
 * Refuses combinations the chosen method cannot train, at option-resolution time (before any data
 * is read): CPC needs a causal encoder (unidirectional GRU/LSTM); CPC and supervised crop whole
 * sequences, so their splitter must be `none`, `slices` or `random`; a CosFace loss under MeLES
 * needs a class per batch position.
 */
function checkMethod(where: string, options: TrainingOptions): void {
  const { method, encoder } = options;
  if (method === 'cpc') {
    if (encoder.encoder === 'transformer') {
      throw new ConfigError(`${where}: \`method\` 'cpc' needs \`encoder.encoder\` 'gru' or 'lstm' (the context after event t must not see later events), got 'transformer'`);
    }
    if (encoder.bidirectional) throw new ConfigError(`${where}: \`method\` 'cpc' needs a unidirectional RNN; set \`encoder.bidirectional\` to false`);
  }
  if (method !== 'meles' && !['none', 'slices', 'random'].includes(options.splitter.kind)) {
    throw new ConfigError(`${where}: \`method\` '${method}' crops whole sequences with \`splitter\` 'none', 'slices' or 'random' (its cntMin/cntMax), got '${options.splitter.kind}'`);
  }
  if (method === 'meles' && options.loss.kind === 'cosface' && options.loss.numClasses < options.batchSize) {
    throw new ConfigError(
      `${where}: the \`cosface\` loss labels each view with its client's position in the batch, so \`loss.numClasses\` must be >= \`batchSize\` (${options.batchSize}), got ${options.loss.numClasses}`,
    );
  }
}

function checkCpc(where: string, value: unknown): CpcSettings {
  const o = expectRecord(where, value);
  expectKnownKeys(where, o, ['steps', 'negatives']);
  return {
    steps: expectInteger('cpc.steps', o.steps ?? 6, 1, 1024),
    negatives: expectInteger('cpc.negatives', o.negatives ?? 40, 1, 1 << 20),
  };
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
