/**
 * Supervised training and fine-tuning: a {@link LabelledHead} on the sequence embedding, trained
 * on labelled clients by the common trainer (`runTraining`) with the `supervised` objective.
 * `init: scratch` starts from a fresh encoder (ptls supervised GRU); `init: pretrained` loads a
 * MeLES or CPC model directory and fine-tunes it (ptls `SequenceToTarget`) with two Adam parameter
 * groups: the encoder at `encoderLearningRate`, the head at `headLearningRate` (the schedule
 * scales both); `freezeEncoder` leaves the encoder out of the optimizer and runs it in inference
 * mode, so its weights stay bit-identical.
 *
 * The output directory is a model directory (`meles embed` reads its encoder) plus `head.bin` and
 * `task.json` (see model-files.ts); {@link predictLabelled} reads it. There is no validation
 * metric: the caller (the evaluation protocol) holds its own test clients out.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import { clientCount, type SequenceSet } from '../../data/sequence-set.js';
import { saveVocabularies, type Vocabularies } from '../../data/vocabulary.js';
import { type BackendName, initBackend } from '../../encoders/backend.js';
import { buildEncoderConfig } from '../../encoders/encoder-config.js';
import { SequenceModel } from '../../encoders/sequence-model.js';
import { ConfigError, DataFormatError } from '../../errors.js';
import { expectBoolean, expectNumber } from '../../options.js';
import { collateTails } from '../../sampling/collate.js';
import { Adam } from '../adam.js';
import type { EpochMetrics } from '../epoch-metrics.js';
import { loadModelDirectory, saveModelDirectory, writeJson } from '../model-files.js';
import { supervisedObjective } from '../objectives/supervised.js';
import { mixSeed } from '../seeds.js';
import { type BatchProgress, runTraining, type TrainResult } from '../trainer.js';
import type { TrainingOptions } from '../training-options.js';
import { type EmbeddingStandardization, embeddingStandardization, LabelledHead, type LabelledKind } from './labelled-head.js';

export type { LabelledKind } from './labelled-head.js';

/** The prediction task: the label column, its kind and its classes in label-index order. */
export interface LabelledTask {
  readonly column: string;
  readonly kind: LabelledKind;
  readonly classes: readonly string[];
}

/** Fine-tuning settings (pytorch-lifestream age_pred fine-tuning: encoder 1e-4, head 2e-3). */
export interface FinetuneOptions {
  /** Adam learning rate of the encoder's parameters. @defaultValue `1e-4` */
  readonly encoderLearningRate: number;
  /** Adam learning rate of the head (also the base the schedule scales). @defaultValue `2e-3` */
  readonly headLearningRate: number;
  /** Keep the encoder as loaded: not optimised, run in inference mode. @defaultValue `false` */
  readonly freezeEncoder: boolean;
  /**
   * Standardise each embedding component before the head's linear layer, with the mean and std of
   * the pretrained encoder's embeddings of the training clients (whole sequences, their last
   * {@link STANDARDIZATION_MAX_EVENTS} events, as predictions see them), measured once before
   * training and saved with the head: ptls' fine-tuning `Head(use_batch_norm=True)` with frozen
   * statistics. Off, the head reads the raw embedding. @defaultValue `true`
   */
  readonly standardizeEmbedding: boolean;
}

/** Defaults of {@link FinetuneOptions}. */
export const FINETUNE_DEFAULTS: FinetuneOptions = { encoderLearningRate: 1e-4, headLearningRate: 2e-3, freezeEncoder: false, standardizeEmbedding: true };

/** Events per client (the last ones) when measuring the embedding statistics of {@link FinetuneOptions.standardizeEmbedding}: `predictLabelled`'s default. */
export const STANDARDIZATION_MAX_EVENTS = 2000;

/** Inputs of {@link trainLabelled}. */
export interface TrainLabelledInput {
  readonly data: SequenceSet;
  readonly vocabularies: Vocabularies;
  readonly schema: SchemaMapping;
  /** Indices into `data` of the training clients. */
  readonly clients: Int32Array;
  /** Label index (0..classes-1) per entry of `clients`. */
  readonly labels: Int32Array;
  readonly task: LabelledTask;
  /** Fresh encoder, or a MeLES/CPC model directory to fine-tune (then `data` must be coded with its vocabularies). */
  readonly init: { readonly kind: 'scratch' } | { readonly kind: 'pretrained'; readonly modelDir: string };
  /** Resolved options; `method` must be `supervised`. With `init: pretrained` the encoder options are the loaded model's. */
  readonly options: TrainingOptions;
  /**
   * Per-group learning rates (see {@link FinetuneOptions}; missing fields take {@link FINETUNE_DEFAULTS}).
   * @defaultValue with `init: pretrained` the defaults; with `init: scratch` none (one learning rate, `options.learningRate`)
   */
  readonly finetune?: Partial<FinetuneOptions>;
  readonly outDir: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: BatchProgress) => void;
  /** Called after every epoch. */
  readonly onEpoch?: (metrics: EpochMetrics) => void;
  /** @defaultValue `'auto'` */
  readonly backend?: BackendName | 'auto';
  /** Continue from `outDir/checkpoint` (same data, clients, labels and settings). @defaultValue `false` */
  readonly resume?: boolean;
}

/** What {@link trainLabelled} returns. */
export interface TrainLabelledResult extends TrainResult {
  /** Adam's groups at the start: `encoder` (absent when frozen) and `head`, or one `all` group. */
  readonly learningRates: readonly { readonly name: string; readonly learningRate: number; readonly parameters: number }[];
  /** The options training ran with (`learningRate` is the head's when fine-tuning). */
  readonly options: TrainingOptions;
}

/** Trains a classifier on labelled clients; see the module comment. */
export async function trainLabelled(input: TrainLabelledInput): Promise<TrainLabelledResult> {
  const { data, task, outDir, clients, labels } = input;
  if (input.options.method !== 'supervised') {
    throw new ConfigError(`trainLabelled trains \`method\` 'supervised', got '${input.options.method}'`);
  }
  checkLabels(data, task, clients, labels);
  const finetune = resolveFinetune(input);
  const options: TrainingOptions = finetune === null ? input.options : { ...input.options, learningRate: finetune.headLearningRate };
  const backend = await initBackend(input.backend ?? 'auto');
  const model = input.init.kind === 'pretrained' ? await loadPretrained(input.init.modelDir, input.schema) : scratchModel(input);
  let head: LabelledHead | undefined;
  let adam: Adam | undefined;
  try {
    const standardization = finetune?.standardizeEmbedding === true ? await measureEmbeddings(model, data, clients, options.batchSize) : undefined;
    head = new LabelledHead(model.width, task.kind, task.classes.length, mixSeed(options.seed, -3, 0), standardization);
    const frozen = finetune?.freezeEncoder === true;
    const objective = supervisedObjective({ model, head, data, clients, labels, options, frozenEncoder: frozen });
    const encoderParams = model.parameters().filter((p) => p.variable.trainable);
    if (finetune === null) {
      adam = new Adam([...encoderParams, ...head.trainableParameters()], options.learningRate);
    } else {
      const scale = finetune.encoderLearningRate / finetune.headLearningRate;
      adam = Adam.withGroups([...(frozen ? [] : [{ name: 'encoder', parameters: encoderParams, scale }]), { name: 'head', parameters: head.trainableParameters() }], options.learningRate);
    }
    const learningRates = adam.groupLearningRates();
    await mkdir(outDir, { recursive: true });
    await writeJson(join(outDir, 'schema.json'), input.schema);
    await saveVocabularies(join(outDir, 'vocabularies.json'), input.vocabularies);
    const init = input.init.kind === 'pretrained' ? { kind: 'pretrained', modelDir: input.init.modelDir } : { kind: 'scratch' };
    const taskRecord = { formatVersion: 1, column: task.column, kind: task.kind, classes: [...task.classes] };
    const savedHead = head;
    const run = await runTraining({
      outDir,
      options,
      backend,
      resume: input.resume,
      signal: input.signal,
      onProgress: input.onProgress,
      onEpoch: input.onEpoch,
      model,
      objective,
      adam,
      clients,
      context: { task: taskRecord, init, finetune, labelled: labelledFingerprint(clients, labels) },
      saveModel: () =>
        saveModelDirectory(outDir, {
          model,
          vocabularies: input.vocabularies,
          schema: input.schema,
          training: { ...options, init, finetune },
          backend,
          head: { task: taskRecord, parameters: savedHead.parameters() },
        }),
    });
    return { modelDir: outDir, epochs: run.epochs, aborted: run.aborted, backend, embeddingWidth: model.width, learningRates, options };
  } finally {
    adam?.dispose();
    head?.dispose();
    model.dispose();
  }
}

function resolveFinetune(input: TrainLabelledInput): FinetuneOptions | null {
  if (input.finetune === undefined && input.init.kind === 'scratch') return null;
  return resolveFinetuneOptions(input.finetune);
}

/**
 * `finetune` over {@link FINETUNE_DEFAULTS}, validated.
 * @throws ConfigError naming the field, e.g. Expected `headLearningRate` to be a finite number …, got `0` (number)
 */
export function resolveFinetuneOptions(finetune: Partial<FinetuneOptions> = {}): FinetuneOptions {
  const o = { ...FINETUNE_DEFAULTS, ...finetune };
  return {
    encoderLearningRate: expectNumber('encoderLearningRate', o.encoderLearningRate, Number.MIN_VALUE, 10),
    headLearningRate: expectNumber('headLearningRate', o.headLearningRate, Number.MIN_VALUE, 10),
    freezeEncoder: expectBoolean('freezeEncoder', o.freezeEncoder),
    standardizeEmbedding: expectBoolean('standardizeEmbedding', o.standardizeEmbedding),
  };
}

/** Mean and std per component of the (pretrained) encoder's inference embeddings of `clients`. */
async function measureEmbeddings(model: SequenceModel, data: SequenceSet, clients: Int32Array, batchSize: number): Promise<EmbeddingStandardization> {
  const values = new Float32Array(clients.length * model.width);
  for (let start = 0; start < clients.length; start += batchSize) {
    const embedded = model.embed(collateTails(data, clients.subarray(start, start + batchSize), STANDARDIZATION_MAX_EVENTS));
    values.set((await embedded.data()) as Float32Array, start * model.width);
    embedded.dispose();
  }
  return embeddingStandardization(values, model.width);
}

function scratchModel(input: TrainLabelledInput): SequenceModel {
  const config = buildEncoderConfig(input.options.encoder, {
    categorical: input.schema.categorical.map((name) => ({ name, vocabularySize: input.vocabularies[name]?.size ?? 2 })),
    numeric: input.schema.numeric,
  });
  return new SequenceModel(config, input.options.seed);
}

/** Loads a pretrained encoder; the data's columns must be the ones it was trained on. */
async function loadPretrained(modelDir: string, schema: SchemaMapping): Promise<SequenceModel> {
  const loaded = await loadModelDirectory(modelDir);
  const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
  if (!same(loaded.schema.categorical, schema.categorical) || !same(loaded.schema.numeric, schema.numeric)) {
    loaded.model.dispose();
    throw new ConfigError(
      `${modelDir}: the model reads categorical [${loaded.schema.categorical.join(', ')}] and numeric [${loaded.schema.numeric.join(', ')}], ` +
        `the data was read with [${schema.categorical.join(', ')}] and [${schema.numeric.join(', ')}]; read the data with the model's schema mapping and vocabularies`,
    );
  }
  return loaded.model;
}

/** Labels must index the task's classes, clients must be distinct indices into `data`, and both classes (or more) must occur. */
function checkLabels(data: SequenceSet, task: LabelledTask, clients: Int32Array, labels: Int32Array): void {
  const classes = task.classes.length;
  if (classes < 2 || (task.kind === 'binary' && classes !== 2)) {
    throw new DataFormatError(`Target \`${task.column}\` (${task.kind}): expected ${task.kind === 'binary' ? 'exactly 2' : 'at least 2'} classes, got ${classes}`);
  }
  if (clients.length !== labels.length) throw new DataFormatError(`Target \`${task.column}\`: expected one label per training client, got ${labels.length} labels for ${clients.length} clients`);
  if (clients.length === 0) throw new DataFormatError(`Target \`${task.column}\`: no labelled training clients`);
  const n = clientCount(data);
  const seen = new Uint8Array(n);
  const present = new Set<number>();
  clients.forEach((c, i) => {
    if (!(c >= 0 && c < n)) throw new DataFormatError(`Target \`${task.column}\`: client index ${c} is outside 0..${n - 1}`);
    if (seen[c] === 1) throw new DataFormatError(`Target \`${task.column}\`: client index ${c} is listed twice`);
    seen[c] = 1;
    const label = labels[i]!;
    if (!(label >= 0 && label < classes)) throw new DataFormatError(`Target \`${task.column}\`: label ${label} of client index ${c} is outside 0..${classes - 1}`);
    present.add(label);
  });
  if (present.size < 2) {
    throw new DataFormatError(`Target \`${task.column}\`: the ${clients.length} training clients all have class \`${task.classes[[...present][0]!]}\`; a classifier needs at least 2 classes`);
  }
}

/** Count and sha256 (16 hex digits) of the training clients and their labels: resuming with other labelled clients is refused. */
function labelledFingerprint(clients: Int32Array, labels: Int32Array): string {
  const hash = createHash('sha256');
  hash.update(new Uint8Array(clients.buffer, clients.byteOffset, clients.byteLength));
  hash.update(new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength));
  return `${clients.length}:${hash.digest('hex').slice(0, 16)}`;
}
