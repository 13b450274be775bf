/**
 * The schedules part of `meles status`: per schedule its next run, its last completed run (when,
 * clients, seconds, incremental or full, the model version) and its last failure with the message,
 * read from the schedule queue (a run's return value is its run.json plus the drift, see
 * batch-embed-job.ts). A run whose embeddings moved more than a threshold from the previous run's
 * (mean cosine similarity below it) is flagged.
 */
import { Queue, type Job } from 'bullmq';
import { z } from 'zod';
import { SCHEDULE_QUEUE } from './queues.js';
import { connectWithin, redact, type RedisTarget } from './redis-url.js';
import { scheduleInfo, type ScheduleInfo } from './schedules.js';

/** Mean cosine similarity to the previous run below which `meles status` flags drift. @defaultValue `0.9` */
export const DEFAULT_DRIFT_THRESHOLD = 0.9;

/** What status shows of a completed run; fields of older meles versions' results are optional. */
const runResultSchema = z.object({
  scheduledFor: z.string(),
  finishedAt: z.string(),
  clients: z.number(),
  modelVersion: z.string(),
  dir: z.string(),
  seconds: z.number().optional(),
  path: z.enum(['incremental', 'full']).optional(),
  reason: z.string().optional(),
  meanCosine: z.number().nullable().optional(),
});

/** A schedule's last completed run. */
export type ScheduledRunStatus = z.infer<typeof runResultSchema>;

/** A schedule's last failed run. */
export interface ScheduledFailure {
  /** When it failed (ms since epoch). */
  readonly at: number;
  /** The error (redacted). */
  readonly message: string;
  /** Attempts made. */
  readonly attempts: number;
}

/** One schedule in `meles status`. */
export interface ScheduleStatus extends ScheduleInfo {
  readonly lastRun?: ScheduledRunStatus;
  readonly lastFailure?: ScheduledFailure;
}

const jobDataSchema = z.object({ schedule: z.string() });

/**
 * Every schedule under `prefix` with its last run and last failure.
 * @throws RedisUnavailableError when Redis does not answer within `timeoutMs`.
 */
export async function collectScheduleStatus(redis: RedisTarget, prefix: string, timeoutMs = 15_000): Promise<ScheduleStatus[]> {
  const queue = new Queue(SCHEDULE_QUEUE, { connection: redis.options, prefix });
  queue.on('error', () => {}); // connection errors surface through connectWithin's timeout
  await connectWithin([queue], redis, timeoutMs);
  const secrets = [redis.options.password];
  try {
    const schedules = (await queue.getJobSchedulers(0, -1, true)).map(scheduleInfo);
    const completed = newestBySchedule(await queue.getJobs(['completed'], 0, 999));
    const failed = newestBySchedule(await queue.getJobs(['failed'], 0, 999));
    return schedules.map((s) => {
      const done = runResultSchema.safeParse(completed.get(s.name)?.returnvalue);
      const failure = failed.get(s.name);
      return {
        ...s,
        ...(done.success ? { lastRun: done.data } : {}),
        ...(failure
          ? { lastFailure: { at: failure.finishedOn ?? failure.timestamp, message: redact(failure.failedReason ?? 'unknown error', secrets), attempts: failure.attemptsMade } }
          : {}),
      };
    });
  } finally {
    await queue.close().catch(() => {});
  }
}

function newestBySchedule(jobs: readonly (Job | undefined)[]): Map<string, Job> {
  const newest = new Map<string, Job>();
  for (const job of jobs) {
    const data = jobDataSchema.safeParse(job?.data);
    if (!job || !data.success) continue;
    const seen = newest.get(data.data.schedule);
    if (!seen || (job.finishedOn ?? job.timestamp) > (seen.finishedOn ?? seen.timestamp)) newest.set(data.data.schedule, job);
  }
  return newest;
}

/** Whether a run's drift crosses `threshold` (mean cosine to the previous run below it). */
export function drifted(run: ScheduledRunStatus, threshold: number): boolean {
  return typeof run.meanCosine === 'number' && run.meanCosine < threshold;
}

/** Plain-text rendering: one block per schedule, drift flagged with `!! DRIFT`. */
export function formatScheduleStatus(schedules: readonly ScheduleStatus[], threshold = DEFAULT_DRIFT_THRESHOLD): string {
  if (schedules.length === 0) return 'no schedules\n';
  const lines: string[] = [];
  for (const s of schedules) {
    const next = s.next ? new Date(s.next).toISOString() : '-';
    lines.push(`schedule ${s.name}  ${s.cron}${s.tz ? ` (${s.tz})` : ''}  next ${next}  model ${s.model ?? 'latest'}${s.incremental ? '' : '  full runs'}`);
    const run = s.lastRun;
    if (run === undefined) lines.push('  last run      none');
    else {
      const seconds = run.seconds === undefined ? '' : `  ${run.seconds.toFixed(1)} s`;
      const cosine = typeof run.meanCosine === 'number' ? `  cosine ${run.meanCosine.toFixed(3)}` : '';
      lines.push(`  last run      ${run.scheduledFor}  ${run.clients} clients${seconds}  ${run.path ?? 'full'}  model ${run.modelVersion}${cosine}  ${run.dir}`);
      if (drifted(run, threshold)) {
        lines.push(`  !! DRIFT      mean cosine similarity to the previous run ${run.meanCosine!.toFixed(3)} < ${threshold}: check the model and the input (summary.json)`);
      }
    }
    const failure = s.lastFailure;
    lines.push(failure ? `  last failure  ${new Date(failure.at).toISOString()}  ${failure.message.split('\n').join(' | ')}` : '  last failure  none');
  }
  return `${lines.join('\n')}\n`;
}
