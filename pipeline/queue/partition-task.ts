/**
 * The work of one partition of a partitioned dataset (`meles partition`): embed, features or
 * score its clients into `OUT/part-NNNNN.arrow` (atomically, by the same writers as the one-file
 * commands), and, once every partition is done, the output manifest (partitioned-output.ts).
 * The queue (partition-jobs.ts) runs one job per partition on any worker; `runPartitionsLocally`
 * does the same partitions one after the other in this process. A part holds exactly the clients
 * of its input partition, so a part rewritten by a retried job neither duplicates nor loses rows.
 *
 * Features need the vocabularies of the whole dataset (one partition alone would count other
 * category ranks): they come from the partition manifest, exactly as when the directory is read as
 * one dataset, or from `--vocabularies`.
 */
import { join } from 'node:path';
import { createOutputDir, removeCreatedIfEmpty } from '../../data/created-dir.js';
import { readPartitionManifest, verifyPartitionFile } from '../../data/partition-file.js';
import { outputPartFile, readOutputManifest, verifyOutputPart, type PartitionedOutputKind, type PartitionedOutputManifest } from '../../data/partitioned-output.js';
import { writeOutputManifest } from '../../data/partitioned-output-write.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import { loadVocabularies, RESERVED, Vocabulary, type Vocabularies } from '../../data/vocabulary.js';
import { writeAggregateFeatures } from '../../downstream/features/aggregate-features-io.js';
import { readModelArtefact } from '../../downstream/scoring/model-artefact.js';
import { scoreModel } from '../../downstream/scoring/score-model.js';
import { ConfigError, DataFormatError } from '../../errors.js';
import { expectInteger } from '../../options.js';
import { embedFile } from '../../training/embed-file.js';

/** Embed every client of a partition with a trained model (as `meles embed`). */
export interface EmbedPartitionTask {
  readonly kind: 'embed';
  /** Model directory written by training. */
  readonly model: string;
  /** Embed each client from its last N events. Minimum: `1`. @defaultValue `2000` (the CLI's) */
  readonly maxEvents: number;
  /** Most clients per batch. Minimum: `1`. @defaultValue `256` */
  readonly batchSize: number;
  /** Most events per batch. Minimum: `1`. @defaultValue `65536` */
  readonly maxBatchEvents: number;
  /** L2-normalise the embeddings. @defaultValue `false` */
  readonly l2: boolean;
}

/** Hand-crafted aggregate features of a partition (as `meles features`). */
export interface FeaturesPartitionTask {
  readonly kind: 'features';
  /** The schema mapping of the dataset. */
  readonly schema: SchemaMapping;
  /** Category values kept per categorical column. Minimum: `1`. @defaultValue `250` */
  readonly maxValues: number;
  /** Vocabularies JSON to use instead of the partition manifest's. @defaultValue the manifest's vocabularies */
  readonly vocabularies?: string;
}

/** Predictions of a `meles fit` model for a partition of partitioned feature outputs (as `meles score`). */
export interface ScorePartitionTask {
  readonly kind: 'score';
  /** Model directory written by `meles fit`. */
  readonly model: string;
  /** Client id column of the feature parts. @defaultValue the fit's */
  readonly idColumn?: string;
}

/** What to compute for every partition. */
export type PartitionTask = EmbedPartitionTask | FeaturesPartitionTask | ScorePartitionTask;

/** A per-partition run, every path absolute as this process sees it. */
export interface PartitionRun {
  /** The submission (`<task>-<UTC time>-<random>`); recorded in the output manifest. */
  readonly runId: string;
  readonly task: PartitionTask;
  /**
   * The inputs: for embed and features one partitioned dataset directory; for score the
   * partitioned feature outputs (directories), in the order the model was fit with.
   */
  readonly inputs: readonly string[];
  /** Output directory: `part-NNNNN.arrow` per partition and `manifest.json`. */
  readonly out: string;
  /** SHA-256 of the source partition manifest when the run was planned (a rewritten dataset is refused). */
  readonly sourceManifestSha256: string;
  /** Rows of every input partition, by index (0: no part). */
  readonly inputRows: readonly number[];
}

/** What one partition produced. */
export interface PartitionOutcome {
  readonly partition: number;
  /** The part written, or `undefined` for an empty partition. */
  readonly file?: string;
  /** Rows (clients) written. */
  readonly rows: number;
}

/** Progress inside one partition (embed reports it after every batch). */
export interface PartitionProgress {
  readonly partition: number;
  /** Clients done so far. */
  readonly clients: number;
  /** Clients of the partition. */
  readonly total: number;
}

/** The output kind of a task. */
export function outputKindOf(task: PartitionTask): PartitionedOutputKind {
  return task.kind === 'embed' ? 'embeddings' : task.kind === 'features' ? 'features' : 'predictions';
}

/**
 * Reads the source manifest(s) and makes the run: the partition count, rows per partition and the
 * manifest hash every job checks. Validates the task's numbers.
 * @throws DataFormatError when an input is not a partitioned dataset (embed, features) or output
 *   (score), or score inputs come from different datasets; ConfigError for bad options.
 */
export async function planPartitionRun(runId: string, task: PartitionTask, inputs: readonly string[], out: string): Promise<PartitionRun> {
  expectTask(task);
  if (inputs.length === 0) throw new ConfigError('Expected at least one input, got none');
  if (task.kind !== 'score') {
    if (inputs.length !== 1) throw new ConfigError(`Expected one partitioned dataset for ${task.kind}, got ${inputs.length}`);
    const read = await readPartitionManifest(inputs[0]!);
    return { runId, task, inputs, out, sourceManifestSha256: read.sha256, inputRows: read.manifest.files.map((f) => f.rows) };
  }
  await readModelArtefact(task.model); // a wrong --model fails here, not once per partition job
  const manifests = await Promise.all(inputs.map(readOutputManifest));
  const first = manifests[0]!;
  for (const other of manifests.slice(1)) {
    if (other.manifest.source.manifestSha256 !== first.manifest.source.manifestSha256) {
      throw new DataFormatError(`${other.manifestPath}: expected parts of the same partitioned dataset as ${first.manifestPath} (source manifest ${first.manifest.source.manifestSha256}), found ${other.manifest.source.manifestSha256}`);
    }
  }
  return { runId, task, inputs, out, sourceManifestSha256: first.manifest.source.manifestSha256, inputRows: rowsByPartition(first.manifest) };
}

/**
 * Computes partition `index` into `run.out/part-NNNNN.arrow`, after checking its input file(s)
 * against their manifests. An empty partition writes nothing. `run.out` is created only once the
 * inputs passed their checks, and removed again if the write fails and leaves it empty (a run whose
 * every partition fails leaves no output directory; one that existed before is never removed).
 * @throws DataFormatError naming the file for a missing, changed or corrupt input; ConfigError for bad options.
 */
export async function runPartition(run: PartitionRun, index: number, onProgress?: (progress: PartitionProgress) => void): Promise<PartitionOutcome> {
  expectInteger('partition', index, 0, run.inputRows.length - 1);
  const file = outputPartFile(index);
  const out = join(run.out, file);
  const task = run.task;
  if (task.kind === 'score') {
    const parts: string[] = [];
    for (const input of run.inputs) {
      const { manifest, path } = await verifyOutputPart(input, index);
      if (manifest.source.manifestSha256 !== run.sourceManifestSha256) {
        throw new DataFormatError(`${input}: expected parts of the dataset with manifest sha256 ${run.sourceManifestSha256} (as when the jobs were submitted), found ${manifest.source.manifestSha256}`);
      }
      if (path !== undefined) parts.push(path);
    }
    if (parts.length === 0) return { partition: index, rows: 0 };
    if (parts.length !== run.inputs.length) throw new DataFormatError(`Partition ${index}: expected a part in every feature input (${run.inputs.join(', ')}), found ${parts.length} of ${run.inputs.length}`);
    const result = await intoOutputDir(run.out, () => scoreModel({ model: task.model, features: parts, out, ...(task.idColumn === undefined ? {} : { idColumn: task.idColumn }) }));
    return { partition: index, file, rows: result.rows };
  }
  const dataset = run.inputs[0]!;
  const read = await readPartitionManifest(dataset, run.sourceManifestSha256);
  const partition = await verifyPartitionFile(dataset, read, index);
  if (partition.rows === 0) return { partition: index, rows: 0 };
  if (task.kind === 'embed') {
    const result = await intoOutputDir(run.out, () => embedFile({
      model: task.model,
      data: partition.path,
      out,
      format: 'arrow',
      maxEvents: task.maxEvents,
      batchSize: task.batchSize,
      maxBatchEvents: task.maxBatchEvents,
      l2: task.l2,
      ...(onProgress === undefined ? {} : { onProgress: (p: { clients: number; total: number }) => onProgress({ partition: index, clients: p.clients, total: p.total }) }),
    }));
    return { partition: index, file, rows: result.clients };
  }
  const recorded = read.manifest.vocabularies;
  const vocabularies: Vocabularies =
    task.vocabularies !== undefined
      ? await loadVocabularies(task.vocabularies)
      : Object.fromEntries(Object.entries(recorded).map(([name, v]) => [name, Vocabulary.fromCounts(v.tokens, v.counts, { maxSize: task.maxValues + RESERVED })]));
  const summary = await intoOutputDir(run.out, () => writeAggregateFeatures(partition.path, task.schema, out, { maxValuesPerCategorical: task.maxValues, vocabularies }));
  return { partition: index, file, rows: summary.clients };
}

/**
 * Runs `write` with `dir` present. The directory is made only now, after the inputs were checked,
 * so a job failing on bad input never creates it; if `write` fails and this call created it, it is
 * removed again while empty (a sibling job writing into it keeps it: `rmdir` refuses a non-empty one).
 */
async function intoOutputDir<T>(dir: string, write: () => Promise<T>): Promise<T> {
  const created = await createOutputDir(dir);
  try {
    return await write();
  } catch (error) {
    await removeCreatedIfEmpty(created);
    throw error;
  }
}

/**
 * Writes the output manifest once every partition has run (parts described from disk).
 * @throws DataFormatError naming a missing or inconsistent part.
 */
export async function finishPartitionRun(run: PartitionRun): Promise<PartitionedOutputManifest> {
  return writeOutputManifest({ dir: run.out, kind: outputKindOf(run.task), runId: run.runId, sourceManifestSha256: run.sourceManifestSha256, inputRows: run.inputRows });
}

/** Progress of {@link runPartitionsLocally}: partitions done so far. */
export interface LocalPartitionProgress {
  readonly done: number;
  readonly total: number;
  readonly last: PartitionOutcome;
}

/**
 * Every partition of `run` in this process, one after the other, then the manifest (the no-Redis
 * path). Stops at the first failure; parts already written stay, and an output directory this
 * call created is removed when nothing was written into it.
 */
export async function runPartitionsLocally(run: PartitionRun, onProgress?: (progress: LocalPartitionProgress) => void): Promise<PartitionedOutputManifest> {
  const created = await createOutputDir(run.out);
  try {
    for (let index = 0; index < run.inputRows.length; index++) {
      const last = await runPartition(run, index);
      onProgress?.({ done: index + 1, total: run.inputRows.length, last });
    }
    return await finishPartitionRun(run);
  } catch (error) {
    await removeCreatedIfEmpty(created);
    throw error;
  }
}

function rowsByPartition(manifest: PartitionedOutputManifest): number[] {
  const rows = new Array<number>(manifest.source.partitions).fill(0);
  for (const part of manifest.parts) rows[part.partition] = part.rows;
  return rows;
}

function expectTask(task: PartitionTask): void {
  if (task.kind === 'embed') {
    expectInteger('maxEvents', task.maxEvents, 1);
    expectInteger('batchSize', task.batchSize, 1);
    expectInteger('maxBatchEvents', task.maxBatchEvents, 1);
  } else if (task.kind === 'features') {
    expectInteger('maxValues', task.maxValues, 1);
  }
}
