/**
 * `trainFromFile`: reads a transactions file and trains on it, owning what resuming means, for
 * both `meles train` and the pipeline's train stage. A resumed run must continue the interrupted
 * one exactly, so on resume the run directory's own files win over the caller's: its
 * `schema.json` (when no mapping is given), its `vocabularies.json` (categories must keep their
 * indices) and its checkpoint's options (the base layer; later layers only change what they name).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AsOf } from '../data/as-of.js';
import { resolveDataset } from '../data/dataset.js';
import { isPartitionDirectory } from '../data/partition-manifest.js';
import { readSequences } from '../data/read-sequences.js';
import type { SchemaMapping } from '../data/schema-mapping.js';
import { readSchemaMapping } from '../data/schema-mapping-io.js';
import { loadVocabularies, type Vocabularies } from '../data/vocabulary.js';
import type { BackendName } from '../encoders/backend.js';
import { ConfigError } from '../errors.js';
import { readTargets, type TargetSpec } from '../data/label-file.js';
import { hasCheckpoint, readCheckpointOptions } from './checkpoint.js';
import { labelledClients } from './labelled/label-clients.js';
import { trainLabelled } from './labelled/train-labelled.js';
import { prestartGradientWorkers, releasePrestartedWorkers } from './parallel/data-parallel.js';
import { resolveThreads, threadsFromEnvironment, type ThreadsSetting } from './parallel/threads.js';
import { manifestVocabularies, openPartitionClientSource } from './partition-source.js';
import { trainModel, type BatchProgress, type EpochMetrics, type TrainResult } from './trainer.js';
import { resolveTrainingOptions, type TrainingConfigInput, type TrainingOptions } from './training-options.js';

/**
 * When to continue from `outDir/checkpoint`: `'never'` starts afresh, `'required'` (`--resume`)
 * fails without a checkpoint, `'if-checkpoint'` resumes when one exists (a retried pipeline job).
 */
export type ResumeMode = 'never' | 'required' | 'if-checkpoint';

/** Inputs of {@link trainFromFile}. */
export interface TrainFromFileOptions {
  /** Transactions dataset: an Arrow/Parquet file, a directory or a glob (data/dataset.ts). */
  readonly data: string;
  /** Train only on events at or before this cut-off. @defaultValue every event */
  readonly asOf?: AsOf;
  /**
   * Column mapping. May be left out only when resuming: then `outDir/schema.json` is used.
   * @defaultValue the run directory's `schema.json` on resume
   */
  readonly schema?: SchemaMapping;
  /** Run directory: model files, `metrics.jsonl`, `checkpoint/`. */
  readonly outDir: string;
  /** @defaultValue `'never'` */
  readonly resume?: ResumeMode;
  /**
   * Training option layers, later layers overriding earlier ones (say a config file, then flags),
   * all above the checkpoint's options on resume. @defaultValue `[]` (the defaults)
   */
  readonly config?: readonly TrainingConfigInput[];
  /** Where the options come from, for error messages (e.g. `train.json`, `pipeline \`train\``). @defaultValue `'training options'` */
  readonly configSource?: string;
  /**
   * Vocabularies to index the categories with (the pipeline's ingest built them). On resume the run
   * directory's own `vocabularies.json` wins. @defaultValue built from `data`
   */
  readonly vocabularies?: Vocabularies;
  /** @defaultValue `'auto'` */
  readonly backend?: BackendName | 'auto';
  /**
   * Threads per gradient step, or `'auto'` (cores, at most 2): see `TrainModelOptions.threads`;
   * supervised training always uses one. @defaultValue `MELES_THREADS`, else `1`
   */
  readonly threads?: ThreadsSetting;
  /** Checked between batches: when aborted, a checkpoint is saved and training returns. */
  readonly signal?: AbortSignal;
  /** Called after every batch. */
  readonly onProgress?: (progress: BatchProgress) => void;
  /** Called after every epoch. */
  readonly onEpoch?: (metrics: EpochMetrics) => void;
  /**
   * Labels for `method: 'supervised'` (required then, refused otherwise): a label file read by
   * `readTargets`, its id column (@defaultValue the schema's id column) and the target column and kind.
   */
  readonly labels?: { readonly path: string; readonly idColumn?: string; readonly target: TargetSpec };
  /**
   * On a partitioned dataset (`meles partition`), partitions each epoch reads (a seeded sample;
   * training/partition-source.ts): the option `partitionsPerEpoch` as one more layer above `config`,
   * so a checkpoint records it like any other option. MeLES and CPC on a partition directory always
   * stream partition by partition; supervised training reads the whole dataset. Refused for other
   * datasets. @defaultValue the layers' value: on resume the checkpoint's, else `0` (every partition)
   */
  readonly partitionsPerEpoch?: number;
}

/** What {@link trainFromFile} returns: the training result plus what it was trained with. */
export interface TrainFromFileResult extends TrainResult {
  /** The resolved options. */
  readonly options: TrainingOptions;
  /** True when training continued from a checkpoint. */
  readonly resumed: boolean;
}

/** Reads `data` and trains into `outDir` (MeLES, CPC, or supervised with `labels`); see the module comment. */
export async function trainFromFile(input: TrainFromFileOptions): Promise<TrainFromFileResult> {
  const { outDir } = input;
  const checkpoint = await hasCheckpoint(outDir).catch(() => false);
  const resume = input.resume === 'required' || (input.resume === 'if-checkpoint' && checkpoint);
  // Fail before the (long) read, with the message the trainer would give after it.
  if (input.resume === 'required' && !checkpoint) throw new ConfigError(`--resume: ${outDir} has no checkpoint to resume from`);
  const schema = input.schema ?? (resume ? await savedSchema(outDir) : undefined);
  if (schema === undefined) {
    throw new ConfigError(`Expected a schema mapping to train into ${outDir}, got none${resume ? ` (and ${join(outDir, 'schema.json')} does not exist)` : ''}`);
  }
  // On resume the checkpoint's options are the base: only changed settings need repeating.
  const saved = resume ? await readCheckpointOptions(outDir) : {};
  const top: TrainingConfigInput[] = input.partitionsPerEpoch === undefined ? [] : [{ partitionsPerEpoch: input.partitionsPerEpoch }];
  const options = resolveTrainingOptions(input.configSource ?? 'training options', saved, ...(input.config ?? []), ...top);
  const threads = resolveThreads(input.threads ?? threadsFromEnvironment() ?? 1);
  // Data-parallel workers load tfjs and start their backend while the data is read below (only
  // MeLES batches are split across threads).
  if (threads > 1 && options.method === 'meles' && input.labels === undefined) prestartGradientWorkers(threads, input.backend ?? 'auto');
  try {
    return await readAndTrain(input, { outDir, schema, options, threads, resume });
  } finally {
    await releasePrestartedWorkers();
  }
}

/** What {@link trainFromFile} resolved before reading the data. */
interface ResolvedRun {
  readonly outDir: string;
  readonly schema: SchemaMapping;
  readonly options: TrainingOptions;
  readonly threads: number;
  readonly resume: boolean;
}

async function readAndTrain(input: TrainFromFileOptions, { outDir, schema, options, threads, resume }: ResolvedRun): Promise<TrainFromFileResult> {
  if (options.method === 'supervised' && input.labels === undefined) {
    throw new ConfigError('`method` \'supervised\' needs labels: give `--targets FILE --target COLUMN:binary|multiclass` (and `--id COLUMN` when the label file names the id differently)');
  }
  if (options.method !== 'supervised' && input.labels !== undefined) {
    throw new ConfigError(`Labels (\`--targets\`) are for \`method\` 'supervised'; this run's method is '${options.method}'`);
  }
  // The label file first: its problems (a missing column, one class) surface before the long read.
  const target = input.labels === undefined ? undefined : (await readTargets(input.labels.path, input.labels.idColumn ?? schema.id, [input.labels.target])).targets[0]!;
  const savedVocabularies = join(outDir, 'vocabularies.json');
  const vocabularies = resume && existsSync(savedVocabularies) ? await loadVocabularies(savedVocabularies) : input.vocabularies;
  // What every kind of training below takes alike.
  const run = {
    schema,
    outDir,
    options,
    backend: input.backend ?? 'auto',
    resume,
    signal: input.signal,
    onProgress: input.onProgress,
    onEpoch: input.onEpoch,
  } as const;
  const streamed = options.method !== 'supervised' && (await isPartitionDirectory(input.data));
  if (options.partitionsPerEpoch !== 0 && !streamed) {
    throw new ConfigError(`--partitions-per-epoch needs a partitioned dataset (\`meles partition\`) and method meles or cpc; ${input.data} is ${options.method === 'supervised' ? 'trained supervised' : 'not a partition directory'}`);
  }
  if (streamed) {
    const dataset = await resolveDataset(input.data);
    if (dataset.partitions === undefined) throw new ConfigError(`${input.data}: expected a partition directory`);
    const used = vocabularies ?? manifestVocabularies(dataset.partitions);
    const stream = await openPartitionClientSource({
      dataset: { ...dataset, partitions: dataset.partitions },
      schema,
      vocabularies: used,
      ...(input.asOf === undefined ? {} : { asOf: input.asOf }),
      seed: options.seed,
      validationShare: options.validationShare,
      ...(options.partitionsPerEpoch === 0 ? {} : { partitionsPerEpoch: options.partitionsPerEpoch }),
    });
    const result = await trainModel({
      ...run,
      threads,
      data: stream.resident,
      streamed: { source: stream.source, validation: stream.validation },
      vocabularies: used,
    });
    return { ...result, options, resumed: resume };
  }
  const readOptions = { ...(vocabularies ? { vocabularies } : {}), ...(input.asOf === undefined ? {} : { asOf: input.asOf }) };
  const { sequences, vocabularies: used } = await readSequences(input.data, schema, readOptions);
  if (target !== undefined) {
    const { clients, labels, task } = labelledClients(sequences, target, input.labels!.path);
    const result = await trainLabelled({ ...run, data: sequences, vocabularies: used, clients, labels, task, init: { kind: 'scratch' } });
    return { ...result, options, resumed: resume };
  }
  const result = await trainModel({ ...run, threads, data: sequences, vocabularies: used });
  return { ...result, options, resumed: resume };
}

async function savedSchema(outDir: string): Promise<SchemaMapping | undefined> {
  const path = join(outDir, 'schema.json');
  return existsSync(path) ? readSchemaMapping(path) : undefined;
}
