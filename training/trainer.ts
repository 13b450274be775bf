/**
 * The trainer: {@link runTraining} owns the fixed steps (epochs, batches, Adam, a learning-rate
 * schedule per epoch, metrics as JSON lines, a model directory and a checkpoint after every epoch,
 * a clean stop — checkpoint, then return — when the abort signal fires between batches), and a
 * {@link TrainingObjective} (training/objectives/) owns collation, the loss and its own trainable
 * parameters. {@link trainModel} trains without labels: MeLES (N clients × k views from the
 * splitter, L2 head, metric loss with its miner, validation recall@4 on held-out clients) or CPC.
 *
 * Reproducibility: every random draw comes from an {@link Rng} seeded by (seed, epoch, batch), so
 * the same seed and backend give the same model, and a resumed run continues exactly where the
 * interrupted one stopped.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../data/random.js';
import type { SchemaMapping } from '../data/schema-mapping.js';
import { clientCount, type SequenceSet } from '../data/sequence-set.js';
import { saveVocabularies, type Vocabularies } from '../data/vocabulary.js';
import { type BackendName, initBackend } from '../encoders/backend.js';
import { buildEncoderConfig } from '../encoders/encoder-config.js';
import { SequenceModel } from '../encoders/sequence-model.js';
import { ConfigError, MelesError } from '../errors.js';
import { Adam } from './adam.js';
import { appendEpochMetrics, EPOCH_METRICS_FILE, type EpochMetrics } from './epoch-metrics.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type TrainerPosition } from './checkpoint.js';
import { initialScheduleState, nextLearningRate } from './lr-schedule.js';
import { saveModelDirectory, writeJson } from './model-files.js';
import type { TrainingOptions } from './training-options.js';
import { mixSeed } from './seeds.js';
import { cpcObjective } from './objectives/cpc.js';
import { melesObjective } from './objectives/meles.js';
import type { ObjectiveBatch, TrainingObjective } from './objectives/objective.js';
import { BatchGradients } from './parallel/batch-gradients.js';
import { inMemoryClientSource, type EpochBatch, type EpochClientSource } from './epoch-source.js';
import { checkBatchFitsHeap, explainHeapExhaustion } from './batch-memory.js';

/** Inputs of {@link trainModel}. */
export interface TrainModelOptions {
  /** Training sequences (all clients; a share is held out for validation); with `streamed`, the sequences its `validation` indices point into. */
  readonly data: SequenceSet;
  /**
   * Clients streamed per epoch instead of held in `data` (a partitioned dataset,
   * training/partition-source.ts), with the held-out validation clients as indices into `data`.
   * @defaultValue every client of `data`, a seeded share held out
   */
  readonly streamed?: { readonly source: EpochClientSource; readonly validation: Int32Array };
  /** Vocabularies of the categorical columns (saved with the model). */
  readonly vocabularies: Vocabularies;
  /** Schema mapping the data was read with (saved with the model). */
  readonly schema: SchemaMapping;
  /** Run directory: the model files, `metrics.jsonl` and `checkpoint/` go here. */
  readonly outDir: string;
  /** Resolved options (see {@link resolveTrainingOptions}). */
  readonly options: TrainingOptions;
  /** tfjs backend. @defaultValue `'auto'` */
  readonly backend?: BackendName | 'auto';
  /**
   * Threads that compute each batch's gradient (training/parallel/): 1 runs everything on this
   * thread; more shard the encoder's forward and backward passes over worker threads. Equal within
   * float rounding for any count, reproducible for a given seed and count. @defaultValue `1`
   */
  readonly threads?: number;
  /** Continue from `outDir/checkpoint`. @defaultValue `false` */
  readonly resume?: boolean;
  /** Checked between batches: when aborted, a checkpoint is saved and training returns. */
  readonly signal?: AbortSignal;
  /**
   * Called after every batch. The trainer prints nothing itself: the CLI draws its progress bar
   * from these events, the pipeline turns them into stage progress.
   */
  readonly onProgress?: (progress: BatchProgress) => void;
  /** Called after every epoch with its metrics (also written to `metrics.jsonl`). */
  readonly onEpoch?: (metrics: EpochMetrics) => void;
}

/** Progress after one batch. */
export interface BatchProgress {
  /** Zero-based epoch. */
  readonly epoch: number;
  /** Epochs of the whole run (the resolved `epochs` option). */
  readonly epochs: number;
  readonly batch: number;
  readonly batches: number;
  readonly loss: number;
  readonly eventsPerSecond: number;
}

/** One line of `metrics.jsonl` (training/epoch-metrics.ts). */
export type { EpochMetrics } from './epoch-metrics.js';

/** What {@link trainModel} returns. */
export interface TrainResult {
  /** The run directory, now a model directory (`meles embed --model`). */
  readonly modelDir: string;
  readonly epochs: readonly EpochMetrics[];
  /** True when the signal stopped training early (a checkpoint was saved). */
  readonly aborted: boolean;
  readonly backend: BackendName;
  /** Embedding width. */
  readonly embeddingWidth: number;
}

/**
 * Trains an encoder without labels: `options.method` `meles` (the default) or `cpc`; see the module
 * comment. Supervised training needs labels: `trainLabelled` (training/labelled/).
 */
export async function trainModel(input: TrainModelOptions): Promise<TrainResult> {
  const { data, options, outDir } = input;
  if (options.method === 'supervised') {
    throw new ConfigError('`method` \'supervised\' needs labels: use trainLabelled (training/labelled/) or `meles train --method supervised --targets FILE --target COLUMN:KIND`');
  }
  const backend = await initBackend(input.backend ?? 'auto');
  const { train, validation } = input.streamed === undefined ? holdOut(clientCount(data), options.validationShare, options.seed) : { train: new Int32Array(0), validation: input.streamed.validation };
  const trainClients = input.streamed?.source.trainClients ?? train.length;
  if (trainClients < 2) throw new ConfigError(`Training needs at least 2 clients, the data has ${trainClients + validation.length} (${validation.length} held out for validation)`);
  const config = buildEncoderConfig(options.encoder, {
    categorical: input.schema.categorical.map((name) => ({ name, vocabularySize: input.vocabularies[name]?.size ?? 2 })),
    numeric: input.schema.numeric,
  });
  await mkdir(outDir, { recursive: true });
  // Written up front so that an interrupted first epoch can be resumed without repeating the schema flags.
  await writeJson(join(outDir, 'schema.json'), input.schema);
  await saveVocabularies(join(outDir, 'vocabularies.json'), input.vocabularies);
  const model = new SequenceModel(config, options.seed);
  let objective: TrainingObjective | undefined;
  let adam: Adam | undefined;
  try {
    objective = options.method === 'cpc' ? cpcObjective(model, data, options, validation) : melesObjective(model, data, options, validation);
    const params = [...model.parameters().filter((p) => p.variable.trainable), ...objective.parameters()];
    adam = new Adam(params, options.learningRate);
    const run = await runTraining({
      ...input,
      backend,
      model,
      objective,
      adam,
      clients: train,
      ...(input.streamed === undefined ? {} : { source: input.streamed.source }),
      saveModel: () => saveModelDirectory(outDir, { model, vocabularies: input.vocabularies, schema: input.schema, training: options, backend }),
    });
    return { modelDir: outDir, epochs: run.epochs, aborted: run.aborted, backend, embeddingWidth: model.width };
  } finally {
    objective?.dispose();
    adam?.dispose();
    model.dispose();
  }
}

/** Inputs of {@link runTraining}: the fixed steps' settings plus the model, objective and optimizer (the caller disposes them). */
export interface TrainingLoopInput {
  readonly outDir: string;
  readonly options: TrainingOptions;
  readonly backend: BackendName;
  /** See {@link TrainModelOptions.threads}. @defaultValue `1` */
  readonly threads?: number;
  readonly resume?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BatchProgress) => void;
  readonly onEpoch?: (metrics: EpochMetrics) => void;
  readonly model: SequenceModel;
  readonly objective: TrainingObjective;
  /** Optimizer over the variables to train (a frozen encoder is simply not in it). */
  readonly adam: Adam;
  /** Training clients (indices into the data), shuffled per epoch with the seed (ignored when `source` is given). */
  readonly clients: Int32Array;
  /** Where each epoch's clients come from (training/epoch-source.ts). @defaultValue `inMemoryClientSource(clients, options.seed)` */
  readonly source?: EpochClientSource;
  /** JSON that must match on resume besides the options (the labelled task, fine-tuning settings). */
  readonly context?: unknown;
  /** Writes the model directory (after every epoch). */
  readonly saveModel: () => Promise<void>;
}

/**
 * The fixed steps of every method: epochs of shuffled batches, one {@link Rng} per (seed, epoch,
 * batch), a gradient step on the objective's loss over exactly the optimizer's variables, the
 * schedule, `metrics.jsonl`, the model directory and a checkpoint (model + objective parameters,
 * Adam moments, position) after every epoch, a checkpoint and return on abort, exact resume.
 */
export async function runTraining(input: TrainingLoopInput): Promise<{ epochs: EpochMetrics[]; aborted: boolean }> {
  const gradients = new BatchGradients(input.threads ?? 1, input.model, input.backend);
  try {
    return await trainingLoop(input, gradients);
  } finally {
    await gradients.dispose();
  }
}

async function trainingLoop(input: TrainingLoopInput, gradients: BatchGradients): Promise<{ epochs: EpochMetrics[]; aborted: boolean }> {
  const { options, outDir, model, objective, adam } = input;
  const source = input.source ?? inMemoryClientSource(input.clients, options.seed);
  const plan = { batchSize: options.batchSize, minBatchClients: objective.minBatchClients, maxBatchesPerEpoch: options.maxBatchesPerEpoch };
  const subject = { parameters: [...model.parameters(), ...objective.parameters()], encoder: model.config, context: input.context ?? null };
  const names = new Set<string>();
  for (const p of subject.parameters) {
    if (names.has(p.name)) throw new MelesError(`Parameter \`${p.name}\` is defined by both the model and the ${objective.method} objective`);
    names.add(p.name);
  }
  let position: TrainerPosition = { epoch: 0, batch: 0, schedule: initialScheduleState(options.learningRate) };
  if (input.resume === true) {
    if (!(await hasCheckpoint(outDir))) throw new ConfigError(`--resume: ${outDir} has no checkpoint to resume from`);
    position = await loadCheckpoint(outDir, subject, adam, options);
  }
  const byName = new Map(subject.parameters.map((p) => [p.name, p.variable]));
  const variables = adam.parameterNames().map((name) => byName.get(name)!);
  const history: EpochMetrics[] = [];
  for (let epoch = position.epoch; epoch < options.epochs; epoch++) {
    const perEpoch = source.batchCount(epoch, plan);
    const started = performance.now();
    let events = 0;
    let lossSum = 0;
    let done = 0;
    const collate = collator(source.batches(epoch, epoch === position.epoch ? position.batch : 0, plan), objective, options.seed, epoch);
    let next = collate();
    for (;;) {
      const current = await next;
      if (current === null) break;
      const { index: b, batch } = current;
      if (input.signal?.aborted === true) {
        await saveCheckpoint(outDir, subject, adam, options, { epoch, batch: b, schedule: position.schedule });
        return { epochs: history, aborted: true };
      }
      checkBatchFitsHeap(batch.events, input.threads ?? 1, model.config, options, input.backend);
      const step = explainHeapExhaustion(batch.events, model.config, options, () => gradients.compute(batch, variables));
      // The next batch is collated while worker threads finish this one (threads > 1: compute
      // returns once this thread's share is done). Collation reads no weights and draws only from
      // its own batch's Rng, so the steps are the same as collating each batch just before its step.
      next = collate();
      next.catch(() => undefined);
      const { value, grads } = await step;
      adam.apply(grads);
      const lossValue = (await value.data())[0]!;
      tf.dispose([value, grads]);
      events += batch.events;
      lossSum += lossValue;
      done++;
      const eventsPerSecond = Math.round(events / ((performance.now() - started) / 1000));
      input.onProgress?.({ epoch, epochs: options.epochs, batch: b, batches: perEpoch, loss: lossValue, eventsPerSecond });
      // Let signal handlers run between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const seconds = (performance.now() - started) / 1000;
    const recall = objective.validate();
    const metrics: EpochMetrics = {
      epoch,
      loss: done > 0 ? lossSum / done : NaN,
      recallAt4: recall,
      learningRate: adam.learningRate,
      batches: done,
      events,
      seconds: Math.round(seconds * 1000) / 1000,
      eventsPerSecond: Math.round(events / Math.max(seconds, 1e-9)),
    };
    const schedule = nextLearningRate(options.schedule, options.learningRate, options.epochs, epoch, position.schedule, recall ?? NaN);
    adam.learningRate = schedule.learningRate;
    position = { epoch: epoch + 1, batch: 0, schedule };
    await appendEpochMetrics(join(outDir, EPOCH_METRICS_FILE), metrics);
    await input.saveModel();
    await saveCheckpoint(outDir, subject, adam, options, position);
    history.push(metrics);
    input.onEpoch?.(metrics);
  }
  // Resumed a finished run: still leave a complete model directory.
  if (history.length === 0) await input.saveModel();
  return { epochs: history, aborted: false };
}

/** A batch of the epoch collated by its objective, with its position in the epoch. */
interface CollatedBatch {
  readonly index: number;
  readonly batch: ObjectiveBatch;
}

/**
 * Collates the epoch's batches one call at a time (`null` after the last), each from its own
 * {@link Rng} seeded by (seed, epoch, batch); batches the objective turns down are skipped.
 */
function collator(batches: AsyncIterable<EpochBatch>, objective: TrainingObjective, seed: number, epoch: number): () => Promise<CollatedBatch | null> {
  const iterator = batches[Symbol.asyncIterator]();
  return async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return null;
      const { index, clients, data } = next.value;
      const batch = objective.batch(clients, new Rng(mixSeed(seed, epoch, index)), data);
      if (batch !== null) return { index, batch };
    }
  };
}

/** Seeded split of client indices into training and held-out validation clients. */
export function holdOut(clients: number, share: number, seed: number): { train: Int32Array; validation: Int32Array } {
  const order = new Rng(mixSeed(seed, -1, 0)).shuffle(Int32Array.from({ length: clients }, (_, i) => i));
  const held = share > 0 ? Math.min(Math.floor(clients / 2), Math.max(2, Math.round(clients * share))) : 0;
  return { validation: order.slice(0, held).sort(), train: order.slice(held).sort() };
}
