/**
 * Queue names and the job/worker settings every producer and worker must agree on. Stalled-job
 * recovery depends on every worker using the same `lockDuration`/`stalledInterval` (the
 * stalled-check throttle key takes its TTL from whichever worker checked last), so they live here.
 */
import type { DefaultJobOptions } from 'bullmq';

/** Heavy stage jobs, run in sandboxed child processes. */
export const STAGE_QUEUE = 'meles-stages';

/** Light control jobs (the embed fan-out and merge), run inside the worker process. */
export const CONTROL_QUEUE = 'meles-control';

/** Per-partition embed/features/score jobs (partition-jobs.ts), run in sandboxed child processes. */
export const PARTITION_QUEUE = 'meles-partitions';

/** The light job per partitioned run that writes the output manifest once every partition is done (run in the worker process). */
export const PARTITION_MANIFEST_QUEUE = 'meles-partition-manifests';

/** Scheduled batch-embedding jobs. */
export const SCHEDULE_QUEUE = 'meles-schedules';

/** BullMQ key prefix when none is given. @defaultValue `'meles'` */
export const DEFAULT_PREFIX = 'meles';

/** Attempts and backoff for transient failures; bad input fails once through `UnrecoverableError`. */
export const STAGE_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

/** Lock and stalled-check timing, identical on every worker. */
export interface WorkerTiming {
  /** How long a job lock lasts without renewal, in ms. @defaultValue `30000` */
  readonly lockDuration: number;
  /** How often stalled jobs are looked for, in ms. @defaultValue `30000` */
  readonly stalledInterval: number;
}

/** BullMQ's defaults, used unless `--lock-duration`/`--stalled-interval` are given. */
export const DEFAULT_TIMING: WorkerTiming = { lockDuration: 30_000, stalledInterval: 30_000 };
