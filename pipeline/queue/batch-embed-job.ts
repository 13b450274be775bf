/**
 * Scheduled batch embedding: the job payload (validated with zod), and the job itself, which
 * embeds the whole dataset a path, directory or glob names (e.g. `/data/daily/*.arrow`: every day
 * file, read as one history per client) with the registry's model (pinned, else latest, or a
 * version the schedule names; confined and hash-checked by `resolveModel`) into one embeddings
 * file in a dated output directory, recording which model version and files produced it.
 *
 * The run's due time is its as-of cut-off: events after it are left out, so re-running a past
 * date (or a retry after new files arrived) gives the same output.
 *
 * Recurrent models (unidirectional GRU/LSTM) keep each run's encoder states (`state.arrow`) beside
 * its embeddings, and the next run continues them over only the events after the previous as-of
 * when that is exact (batch-run-plan.ts), else embeds everything again and starts a new state.
 * run.json records which path was taken and why; summary.json the run's statistics and drift.
 */
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import { asOfInstant } from '../../data/as-of.js';
import { resolveDataset } from '../../data/dataset.js';
import { readStateHeader } from '../../data/state-file.js';
import { embedFile } from '../../training/embed-file.js';
import { embedIncrementally } from '../../training/incremental/embed-incrementally.js';
import { commitDir, createTempDir, removeStaleTemps } from '../atomic-dir.js';
import { resolveModel, VERSION_NAME } from '../model-registry.js';
import { statInputs, timeIsDated } from './batch-inputs.js';
import { BATCH_EMBEDDINGS_FILE, RUN_RECORD_FILE, RUN_SUMMARY_FILE, type BatchEmbedRecord } from './batch-run-record.js';
import { describeModel, planRun, stateFileOf, type RunPlan } from './batch-run-plan.js';
import { RUN_ID } from './job-payload.js';
import { countingReader, emptySequences, newEventReader, removeLinks, type ReadCounts } from './new-events.js';
import { confinePath, type WorkerRoots } from './roots.js';
import { embeddingStats, stateEvents, type RunSummary } from './run-summary.js';

export { BATCH_EMBEDDINGS_FILE, BATCH_STATE_FILE, RUN_SUMMARY_FILE, type BatchEmbedRecord } from './batch-run-record.js';

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
  /** `false` forces full runs; absent = continue the previous run's state when exact. */
  incremental: z.boolean().optional(),
});

/** A validated batch-embed payload. */
export type BatchEmbedJobData = z.infer<typeof batchEmbedJobSchema>;

/** What a run returns to the queue (shown by `meles status`): its run.json plus the drift. */
export interface BatchEmbedResult extends BatchEmbedRecord {
  /** Mean cosine similarity to the previous run's embeddings of the same clients (summary.json); `null` without a previous run. */
  readonly meanCosine: number | null;
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
export async function runBatchEmbed(data: BatchEmbedJobData, roots: WorkerRoots, due: Date): Promise<BatchEmbedResult> {
  const started = performance.now();
  const out = await confinePath('out', data.out, 'write', roots);
  const registry = await confinePath('registry', data.registry, 'read', roots);
  const spec = await confinePath('data', data.data, 'read', roots);
  const dataset = await resolveDataset(spec);
  // A glob or directory may reach through links; every file it names must lie inside the roots too.
  for (const file of dataset.files) await confinePath('data', file.path, 'read', roots);
  const model = await resolveModel(registry, data.model ?? 'latest');
  const described = await describeModel(model.dir, model.version.version);
  const asOf = asOfInstant(due);
  // A numeric time column has no clock: the due time does not cut it, and no as-of is recorded.
  const dated = await timeIsDated(dataset, described.mapping);
  const finalDir = join(out, datedName(due));
  await removeStaleTemps(finalDir);
  const plan = await planRun({
    out, due, incremental: data.incremental !== false, model: described, inputs: await statInputs(dataset.files.map((f) => f.path)),
    ...(data.maxEvents === undefined ? {} : { maxEvents: data.maxEvents }),
  });
  const work = await createTempDir(finalDir);
  const embeddings = join(work, BATCH_EMBEDDINGS_FILE);
  const stateName = stateFileOf(plan);
  const counts: ReadCounts = { events: 0 };
  const common = { model: model.dir, data: spec, out: embeddings, modelVersion: model.version.version, ...(dated ? { asOf } : {}) };
  let clients: number;
  if (stateName === null) {
    clients = (await embedFile({ ...common, format: 'arrow', read: countingReader(counts), ...(data.maxEvents ? { maxEvents: data.maxEvents } : {}) })).clients;
  } else if (plan.path === 'full') {
    clients = (await embedIncrementally({ ...common, stateOut: join(work, stateName), read: countingReader(counts) })).clients;
  } else {
    const header = await readStateHeader(plan.state);
    const source = { files: plan.read, linkDir: join(work, '.inputs'), after: plan.after, empty: emptySequences(header.idKind, header.timeUnit, described.mapping) };
    try {
      clients = (await embedIncrementally({ ...common, state: plan.state, stateOut: join(work, stateName), read: newEventReader(source, counts) })).clients;
    } finally {
      await removeLinks(source);
    }
  }
  const events = stateName === null ? counts.events : await stateEvents(join(work, stateName));
  const stats = await embeddingStats(embeddings, await previousEmbeddings(plan));
  const record: BatchEmbedRecord = {
    schedule: data.schedule,
    modelVersion: model.version.version,
    modelSha256: model.version.sha256,
    modelFingerprint: described.fingerprint,
    dir: finalDir,
    data: data.data,
    files: dataset.files.map((f) => f.path),
    output: BATCH_EMBEDDINGS_FILE,
    clients,
    asOf: dated ? asOf.text : null,
    scheduledFor: due.toISOString(),
    finishedAt: new Date().toISOString(),
    path: plan.path,
    reason: plan.reason,
    previousRun: plan.path === 'incremental' ? plan.previous.name : null,
    state: stateName,
    inputs: [...plan.inputs],
    events,
    newEvents: counts.events,
    seconds: (performance.now() - started) / 1000,
  };
  const summary: RunSummary = {
    schedule: record.schedule,
    scheduledFor: record.scheduledFor,
    path: plan.path,
    reason: plan.reason,
    modelVersion: record.modelVersion,
    clients,
    events,
    newEvents: counts.events,
    seconds: record.seconds,
    embedding: { width: stats.width, mean: stats.mean, std: stats.std },
    previous: plan.previous && stats.drift ? { run: plan.previous.name, ...stats.drift } : null,
  };
  await writeFile(join(work, RUN_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
  await writeFile(join(work, RUN_SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
  await commitDir(work, finalDir);
  return { ...record, meanCosine: summary.previous?.meanCosine ?? null };
}

/** The embeddings of the run the plan compares with, when there is one (and it still has them). */
async function previousEmbeddings(plan: RunPlan): Promise<string | undefined> {
  if (plan.previous === undefined) return undefined;
  const path = join(plan.previous.dir, plan.previous.record.output);
  return (await access(path).then(() => true, () => false)) ? path : undefined;
}

/** `2024-01-02T02-00-00Z`: the due time to the second, safe in file names. */
export function datedName(due: Date): string {
  return due.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}
