/**
 * The payload of every pipeline job, validated with zod before anything runs: Redis is shared
 * infrastructure, so a worker treats job data as untrusted input.
 */
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import type { PipelineStep } from '../steps.js';

/** Run ids become parts of BullMQ job ids: no `:`, never a plain integer. */
export const RUN_ID = /^[A-Za-z][A-Za-z0-9_-]{0,127}$/;

const shardSchema = z
  .strictObject({ index: z.int().min(0), count: z.int().min(1).max(1000) })
  .refine((s) => s.index < s.count, { message: '`shard.index` must be < `shard.count`' });

const stepSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('ingest') }),
  z.strictObject({ kind: z.literal('train') }),
  z.strictObject({ kind: z.literal('embed-shard'), shard: shardSchema }),
  z.strictObject({ kind: z.literal('embed') }),
  z.strictObject({ kind: z.literal('features') }),
  z.strictObject({ kind: z.literal('compare') }),
  z.strictObject({ kind: z.literal('fit') }),
  z.strictObject({ kind: z.literal('score') }),
]);

/** Schema of a stage job's data. `pipeline` is checked further by `parsePipelineConfig`. */
export const stageJobSchema = z.strictObject({
  version: z.literal(1),
  runId: z.string().regex(RUN_ID),
  step: stepSchema,
  /** The resolved pipeline (inline schema; paths absolute, or relative to the worker's roots: `out` to --out-root, the rest to --data-root). */
  pipeline: z.record(z.string(), z.unknown()),
  /** Set by the embed job itself once its shard jobs are queued (BullMQ step-job pattern). */
  phase: z.enum(['fan-out', 'merge']).optional(),
});

/** A validated stage job payload. */
export interface StageJobData {
  /** Payload format version. */
  readonly version: 1;
  /** The submission this job belongs to (`<pipeline>-<time>-<random>`). */
  readonly runId: string;
  /** What to run. */
  readonly step: PipelineStep;
  /** The pipeline, as JSON. */
  readonly pipeline: Readonly<Record<string, unknown>>;
  /** Embed job progress through fan-out and merge. @defaultValue `'fan-out'` */
  readonly phase?: 'fan-out' | 'merge';
}

/** Validates job data; throws a {@link ConfigError} naming the job and every problem. */
export function parseStageJob(raw: unknown, jobId: string | undefined): StageJobData {
  const parsed = stageJobSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`Malformed payload in job ${jobId ?? '?'}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The BullMQ job id of a step in a run, e.g. `demo-20240101T020000-ab12-embed-shard-3`. */
export function jobIdOf(runId: string, step: PipelineStep): string {
  return step.kind === 'embed-shard' ? `${runId}-embed-shard-${step.shard.index}` : `${runId}-${step.kind}`;
}
