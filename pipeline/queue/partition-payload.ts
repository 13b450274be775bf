/**
 * The payload of per-partition jobs (partition-jobs.ts), validated with zod before anything runs
 * (Redis is shared: job data is untrusted). Paths travel anchored to a root, so hosts that mount
 * the shared roots at different places each find them: `{root: 'data', path: 'parts'}` is
 * `--data-root/parts` on every worker, `{root: 'out', …}` is under `--out-root`, and
 * `{root: 'absolute', …}` (submitted without roots) must be the same path on every host. A worker
 * resolves them against its own roots and confines them there (roots.ts).
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { MAX_PARTITIONS } from '../../data/partition.js';
import { validateSchemaMapping } from '../../data/schema-mapping-io.js';
import { ConfigError } from '../../errors.js';
import { RUN_ID } from './job-payload.js';
import type { PartitionRun, PartitionTask } from './partition-task.js';
import { confinePath, rootRelative, type WorkerRoots } from './roots.js';

const anchoredPathSchema = z.strictObject({ root: z.enum(['data', 'out', 'absolute']), path: z.string().min(1) });

/** A path relative to a worker root (or absolute). */
export type AnchoredPath = z.infer<typeof anchoredPathSchema>;

const taskSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('embed'), model: anchoredPathSchema, maxEvents: z.int().min(1), batchSize: z.int().min(1), maxBatchEvents: z.int().min(1), l2: z.boolean() }),
  z.strictObject({ kind: z.literal('features'), schema: z.record(z.string(), z.unknown()), maxValues: z.int().min(1), vocabularies: anchoredPathSchema.optional() }),
  z.strictObject({ kind: z.literal('score'), model: anchoredPathSchema, idColumn: z.string().min(1).optional() }),
]);

/** Schema of a partition job's data (the manifest job has no `partition`). */
export const partitionJobSchema = z.strictObject({
  version: z.literal(1),
  runId: z.string().regex(RUN_ID),
  /** The partition this job computes; absent on the job that writes the output manifest. */
  partition: z.int().min(0).max(MAX_PARTITIONS - 1).optional(),
  task: taskSchema,
  inputs: z.array(anchoredPathSchema).min(1),
  out: anchoredPathSchema,
  sourceManifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
  inputRows: z.array(z.int().min(0)).min(1).max(MAX_PARTITIONS),
});

/** A validated partition job payload. */
export type PartitionJobData = z.infer<typeof partitionJobSchema>;

/**
 * The payload of `run` as the submitting host sees the roots: read paths relative to the data root
 * (or else the out root), the output relative to the out root. Without roots, absolute paths.
 * @throws ConfigError naming the field when a path lies outside both roots (or the output outside the out root).
 */
export async function partitionPayload(run: PartitionRun, roots: WorkerRoots | undefined): Promise<PartitionJobData> {
  const read = (field: string, path: string) => anchorRead(field, path, roots);
  const task = run.task;
  const payloadTask: PartitionJobData['task'] =
    task.kind === 'embed'
      ? { ...task, model: await read('model', task.model) }
      : task.kind === 'features'
        ? { kind: 'features', schema: { ...task.schema }, maxValues: task.maxValues, ...(task.vocabularies === undefined ? {} : { vocabularies: await read('vocabularies', task.vocabularies) }) }
        : { kind: 'score', model: await read('model', task.model), ...(task.idColumn === undefined ? {} : { idColumn: task.idColumn }) };
  const inputs = await Promise.all(run.inputs.map((path, i) => read(`inputs[${i}]`, path)));
  const out: AnchoredPath = roots === undefined ? { root: 'absolute', path: resolve(run.out) } : { root: 'out', path: await rootRelative('out', run.out, roots.outRoot, '--out-root') };
  return { version: 1, runId: run.runId, task: payloadTask, inputs, out, sourceManifestSha256: run.sourceManifestSha256, inputRows: [...run.inputRows] };
}

/** Validates job data; throws a {@link ConfigError} naming the job and every problem. */
export function parsePartitionJob(raw: unknown, jobId: string | undefined): PartitionJobData {
  const parsed = partitionJobSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`Malformed payload in job ${jobId ?? '?'}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * The run of a payload as this worker sees it: every path resolved against this worker's roots and
 * confined to them (inputs to either root, the output to the out root).
 * @throws ConfigError for a path outside the roots or an invalid schema mapping.
 */
export async function runFromPayload(data: PartitionJobData, roots: WorkerRoots): Promise<PartitionRun> {
  const read = (field: string, path: AnchoredPath) => confinePath(field, resolveAnchored(path, roots), 'read', roots);
  // Inputs first: a worker that lacks the data says so before anything else.
  const inputs = await Promise.all(data.inputs.map((path, i) => read(`inputs[${i}]`, path)));
  const t = data.task;
  const task: PartitionTask =
    t.kind === 'embed'
      ? { ...t, model: await read('model', t.model) }
      : t.kind === 'features'
        ? { kind: 'features', schema: validateSchemaMapping(t.schema, 'job payload `task.schema`'), maxValues: t.maxValues, ...(t.vocabularies === undefined ? {} : { vocabularies: await read('vocabularies', t.vocabularies) }) }
        : { kind: 'score', model: await read('model', t.model), ...(t.idColumn === undefined ? {} : { idColumn: t.idColumn }) };
  const out = await confinePath('out', resolveAnchored(data.out, roots), 'write', roots);
  return { runId: data.runId, task, inputs, out, sourceManifestSha256: data.sourceManifestSha256, inputRows: data.inputRows };
}

/** A read path anchored to the data root when inside it, else to the out root (models often live there), else absolute when no roots. */
async function anchorRead(field: string, path: string, roots: WorkerRoots | undefined): Promise<AnchoredPath> {
  if (roots === undefined) return { root: 'absolute', path: resolve(path) };
  try {
    return { root: 'data', path: await rootRelative(field, path, roots.dataRoot, '--data-root') };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
  }
  try {
    return { root: 'out', path: await rootRelative(field, path, roots.outRoot, '--out-root') };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(`Refusing \`${field}\` path ${JSON.stringify(path)}: expected it under --data-root ${roots.dataRoot} or --out-root ${roots.outRoot} so workers can find it under their own roots`);
  }
}

function resolveAnchored(path: AnchoredPath, roots: WorkerRoots): string {
  if (path.root === 'absolute') {
    if (!isAbsolute(path.path)) throw new ConfigError(`Expected an absolute path in the job payload, got ${JSON.stringify(path.path)}`);
    return path.path;
  }
  if (isAbsolute(path.path)) throw new ConfigError(`Expected a path relative to the ${path.root} root in the job payload, got ${JSON.stringify(path.path)}`);
  return resolve(path.root === 'data' ? roots.dataRoot : roots.outRoot, path.path);
}
