/**
 * `meles status`: pipelines (grouped by run id), their stage jobs, states, progress and errors,
 * read from the stage and control queues, and per-partition runs (`meles embed --submit` …) from
 * the partition queues. Error texts are redacted before they are shown.
 */
import { Queue, type Job, type JobType } from 'bullmq';
import { z } from 'zod';
import { CONTROL_QUEUE, PARTITION_MANIFEST_QUEUE, PARTITION_QUEUE, STAGE_QUEUE } from './queues.js';
import { connectWithin, redact, type RedisTarget } from './redis-url.js';

/**
 * Lifecycle order, earliest first. The lists are read one after another, so a job that moves on
 * between two reads shows up twice (the later read wins: it is the newer state); reading in the
 * order jobs move keeps the window in which a job could be missed to the rare backward moves.
 */
const STATES = ['waiting', 'prioritized', 'delayed', 'active', 'waiting-children', 'completed', 'failed'] as const;

/** A job state as BullMQ reports it. */
export type JobState = (typeof STATES)[number];

/** One stage job of a run. */
export interface StageJobStatus {
  /** BullMQ job id. */
  readonly jobId: string;
  /** Step label, e.g. `train` or `embed-shard 2/4`. */
  readonly step: string;
  /** Current state. */
  readonly state: JobState;
  /** Last reported fraction in [0, 1], when any. */
  readonly fraction?: number;
  /** Last progress note, when any. */
  readonly message?: string;
  /** Attempts made so far. */
  readonly attemptsMade: number;
  /** Why it failed (redacted), when it did. */
  readonly failedReason?: string;
  /** The stage's summary line when it completed; `skipped` marks an up-to-date stage. */
  readonly summary?: string;
  /** True when the completed stage was skipped because its manifest matched. */
  readonly skipped?: boolean;
  /** When the job was created (ms since epoch). */
  readonly createdAt: number;
}

/** One submitted pipeline run. */
export interface RunStatus {
  /** Run id (`<pipeline>-<time>-<random>`). */
  readonly runId: string;
  /** Overall state: failed if any job failed, completed if all did, else running. */
  readonly state: 'failed' | 'completed' | 'running';
  /** Its jobs, oldest first. */
  readonly jobs: readonly StageJobStatus[];
}

const dataSchema = z.object({
  runId: z.string(),
  step: z.union([
    z.object({ kind: z.literal('embed-shard'), shard: z.object({ index: z.number(), count: z.number() }) }),
    z.object({ kind: z.string() }),
  ]),
});
const progressSchema = z.object({ fraction: z.number(), message: z.string().optional() });
const resultSchema = z.object({ skipped: z.boolean(), summary: z.string() });
/** What status needs of a per-partition job (partition-payload.ts); the manifest job has no `partition`. */
const partitionDataSchema = z.object({ runId: z.string(), partition: z.number().optional(), task: z.object({ kind: z.string() }), inputRows: z.array(z.number()) });
const partitionProgressSchema = z.object({ clients: z.number(), total: z.number().positive() });
const partitionResultSchema = z.object({ rows: z.number(), file: z.string().optional(), parts: z.number().optional() });

/**
 * Reads every pipeline job under `prefix` and groups them by run, newest run first.
 * Throws when Redis does not answer within `timeoutMs`. @param timeoutMs - @defaultValue `15000`
 */
export async function collectStatus(redis: RedisTarget, prefix: string, runId?: string, timeoutMs = 15_000): Promise<RunStatus[]> {
  const queues = [STAGE_QUEUE, CONTROL_QUEUE, PARTITION_QUEUE, PARTITION_MANIFEST_QUEUE].map((name) => {
    const queue = new Queue(name, { connection: redis.options, prefix });
    queue.on('error', () => {}); // connection errors surface through connectWithin's timeout
    return queue;
  });
  const secrets = [redis.options.password];
  await connectWithin(queues, redis, timeoutMs); // on timeout it has already disconnected them
  try {
    // Keyed by queue and job id: the newest observation of a job replaces an older one.
    const seen = new Map<string, { run: string; status: StageJobStatus }>();
    for (const queue of queues) {
      for (const state of STATES) {
        for (const job of await queue.getJobs([state as JobType], 0, 999)) {
          if (!job) continue;
          const status = describeJob(job, state, secrets);
          if (!status) continue;
          const id = (job.data as { runId: string }).runId; // describeJob checked the shape
          if (runId !== undefined && id !== runId) continue;
          seen.set(`${queue.name}\u0000${status.jobId}`, { run: id, status });
        }
      }
    }
    const runs = new Map<string, StageJobStatus[]>();
    for (const { run, status } of seen.values()) runs.set(run, [...(runs.get(run) ?? []), status]);
    return [...runs.entries()]
      .map(([id, list]) => ({ runId: id, state: overall(list), jobs: list.sort((a, b) => a.createdAt - b.createdAt) }))
      .sort((a, b) => (b.jobs[0]?.createdAt ?? 0) - (a.jobs[0]?.createdAt ?? 0));
  } finally {
    for (const queue of queues) await queue.close().catch(() => {});
  }
}

function describeJob(job: Job, state: JobState, secrets: readonly (string | undefined)[]): StageJobStatus | undefined {
  const data = dataSchema.safeParse(job.data);
  if (!data.success) return describePartitionJob(job, state, secrets);
  const step = data.data.step;
  const label = 'shard' in step ? `embed-shard ${step.shard.index + 1}/${step.shard.count}` : step.kind;
  const progress = progressSchema.safeParse(job.progress);
  const result = resultSchema.safeParse(job.returnvalue);
  return {
    jobId: job.id ?? '?',
    step: label,
    state,
    ...(progress.success ? { fraction: progress.data.fraction, ...(progress.data.message ? { message: progress.data.message } : {}) } : {}),
    attemptsMade: job.attemptsMade,
    ...(job.failedReason ? { failedReason: redact(job.failedReason, secrets) } : {}),
    ...(result.success ? { summary: result.data.summary, skipped: result.data.skipped } : {}),
    createdAt: job.timestamp,
  };
}

/** A per-partition job: `embed part 2/4` (progress from clients done) or `embed manifest`. */
function describePartitionJob(job: Job, state: JobState, secrets: readonly (string | undefined)[]): StageJobStatus | undefined {
  const data = partitionDataSchema.safeParse(job.data);
  if (!data.success) return undefined;
  const { partition, task, inputRows } = data.data;
  const progress = partitionProgressSchema.safeParse(job.progress);
  const result = partitionResultSchema.safeParse(job.returnvalue);
  const summary = !result.success ? undefined : result.data.parts !== undefined ? `${result.data.rows} rows in ${result.data.parts} parts` : `${result.data.rows} rows${result.data.file ? ` → ${result.data.file}` : ''}`;
  return {
    jobId: job.id ?? '?',
    step: partition === undefined ? `${task.kind} manifest` : `${task.kind} part ${partition + 1}/${inputRows.length}`,
    state,
    ...(progress.success ? { fraction: progress.data.clients / progress.data.total } : {}),
    attemptsMade: job.attemptsMade,
    ...(job.failedReason ? { failedReason: redact(job.failedReason, secrets) } : {}),
    ...(summary === undefined ? {} : { summary }),
    createdAt: job.timestamp,
  };
}

function overall(jobs: readonly StageJobStatus[]): RunStatus['state'] {
  if (jobs.some((j) => j.state === 'failed')) return 'failed';
  return jobs.every((j) => j.state === 'completed') ? 'completed' : 'running';
}

/** Plain-text rendering of {@link collectStatus}'s result, one block per run. */
export function formatStatus(runs: readonly RunStatus[]): string {
  if (runs.length === 0) return 'no pipeline runs\n';
  const lines: string[] = [];
  for (const run of runs) {
    lines.push(`${run.runId}  ${run.state}`);
    for (const job of run.jobs) {
      const pct = job.fraction !== undefined && job.state === 'active' ? ` ${Math.round(job.fraction * 100)}%` : '';
      const note = job.failedReason ?? (job.skipped ? `up to date (${job.summary})` : job.summary ?? job.message ?? '');
      const tries = job.attemptsMade > 1 ? ` (attempts ${job.attemptsMade})` : '';
      lines.push(`  ${job.step.padEnd(18)} ${job.state.padEnd(16)}${pct}${tries} ${note.split('\n').join(' | ')}`.trimEnd());
    }
  }
  return `${lines.join('\n')}\n`;
}
