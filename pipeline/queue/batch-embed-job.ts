/**
 * Scheduled batch embedding: the job payload (validated with zod), and the job itself, which
 * embeds the whole dataset a path, directory or glob names (e.g. `/data/daily/*.arrow`: every day
 * file, read as one history per client) with the registry's model (pinned, else latest, or a
 * version the schedule names; confined and hash-checked by `resolveModel`) into one embeddings
 * file in a dated output directory, recording which model version and files produced it.
 *
 * The run's due time is its as-of cut-off: events after it are left out, so re-running a past
 * date (or a retry after new files arrived) gives the same output.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import { asOfInstant } from '../../data/as-of.js';
import { resolveDataset } from '../../data/dataset.js';
import { embedFile } from '../../training/embed-file.js';
import { commitDir, createTempDir, removeStaleTemps } from '../atomic-dir.js';
import { resolveModel, VERSION_NAME } from '../model-registry.js';
import { RUN_ID } from './job-payload.js';
import { confinePath, type WorkerRoots } from './roots.js';

/** The embeddings file inside each dated run directory. */
export const BATCH_EMBEDDINGS_FILE = 'embeddings.arrow';

/** Schema of a batch-embed job's data. */
export const batchEmbedJobSchema = z.strictObject({
  version: z.literal(1),
  kind: z.literal('batch-embed'),
  schedule: z.string().regex(RUN_ID),
  /** The dataset: a file, a directory, or a glob with `*`, `?` and `**` (e.g. `/data/daily/*.arrow`). */
  data: z.string().min(1),
  /** Dated run directories are created under this directory. */
  out: z.string().min(1),
  /** Model registry directory. */
  registry: z.string().min(1),
  /** `latest` follows the registry (its pinned version, else its latest); `vN` uses that version. Absent = `latest`. */
  model: z.union([z.literal('latest'), z.string().regex(VERSION_NAME)]).optional(),
  maxEvents: z.int().min(1).optional(),
});

/** A validated batch-embed payload. */
export type BatchEmbedJobData = z.infer<typeof batchEmbedJobSchema>;

/** What one scheduled run wrote (also `run.json` in its directory). */
export interface BatchEmbedRecord {
  /** Schedule name. */
  readonly schedule: string;
  /** The registry version of the model used. */
  readonly modelVersion: string;
  /** Content hash of that model directory. */
  readonly modelSha256: string;
  /** The dated output directory. */
  readonly dir: string;
  /** The dataset as scheduled (file, directory or glob). */
  readonly data: string;
  /** The dataset's files this run read, in reading order. */
  readonly files: readonly string[];
  /** The embeddings file in `dir` ({@link BATCH_EMBEDDINGS_FILE}). */
  readonly output: string;
  /** Rows written (clients with an event at or before `asOf`). */
  readonly clients: number;
  /** The cut-off applied: the due time (also `meles.as_of` in the embeddings file); `null` for a numeric time column, which has no clock to cut by. */
  readonly asOf: string | null;
  /** When the run was due (ISO time). */
  readonly scheduledFor: string;
  /** When it finished (ISO time). */
  readonly finishedAt: string;
}

/** Validates a payload; throws a ConfigError naming the job. */
export function parseBatchEmbedJob(raw: unknown, jobId: string | undefined): BatchEmbedJobData {
  const parsed = batchEmbedJobSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`Malformed payload in job ${jobId ?? '?'}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * Runs one scheduled embedding (see the module comment). `due` names the dated directory and is
 * the as-of cut-off.
 * @throws DataFormatError when the dataset matches no file or a file cannot be read; ConfigError for a path outside the worker's roots.
 */
export async function runBatchEmbed(data: BatchEmbedJobData, roots: WorkerRoots, due: Date): Promise<BatchEmbedRecord> {
  const out = await confinePath('out', data.out, 'write', roots);
  const registry = await confinePath('registry', data.registry, 'read', roots);
  const spec = await confinePath('data', data.data, 'read', roots);
  const dataset = await resolveDataset(spec);
  // A glob or directory may reach through links; every file it names must lie inside the roots too.
  for (const file of dataset.files) await confinePath('data', file.path, 'read', roots);
  const model = await resolveModel(registry, data.model ?? 'latest');
  const asOf = asOfInstant(due);
  const finalDir = join(out, datedName(due));
  await removeStaleTemps(finalDir);
  const work = await createTempDir(finalDir);
  const result = await embedFile({
    model: model.dir,
    data: spec,
    asOf,
    out: join(work, BATCH_EMBEDDINGS_FILE),
    format: 'arrow',
    ...(data.maxEvents ? { maxEvents: data.maxEvents } : {}),
  });
  const record: BatchEmbedRecord = {
    schedule: data.schedule,
    modelVersion: model.version.version,
    modelSha256: model.version.sha256,
    dir: finalDir,
    data: data.data,
    files: dataset.files.map((f) => f.path),
    output: BATCH_EMBEDDINGS_FILE,
    clients: result.clients,
    asOf: result.asOf ?? null,
    scheduledFor: due.toISOString(),
    finishedAt: new Date().toISOString(),
  };
  await writeFile(join(work, 'run.json'), `${JSON.stringify(record, null, 2)}\n`);
  await commitDir(work, finalDir);
  return record;
}

/** `2024-01-02T02-00-00Z`: the due time to the second, safe in file names. */
export function datedName(due: Date): string {
  return due.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}
