/**
 * Queue names and the job/worker settings every producer and worker must agree on. Stalled-job
 * recovery depends on every worker using the same `lockDuration`/`stalledInterval` (the
 * stalled-check throttle key takes its TTL from whichever worker checked last), so they live here.
 */
import type { DefaultJobOptions } from 'bullmq';
import { expectInteger } from '../../options.js';

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

/**
 * Lock and stalled-check timing, identical on every worker. A worker holds a lock on each running
 * job and renews it every `lockDuration / 4` to `/ 2` ms from its main process, which stays free:
 * stages run in sandboxed child processes (a training epoch may keep its child busy for minutes;
 * the lock does not depend on it), and the in-process control jobs only link files, stream-hash
 * them and talk to Redis. When a worker dies its locks expire, and a stalled check (every
 * `stalledInterval`, by any worker) puts its jobs back in the queue for the others: after at most
 * about `lockDuration + 2 × stalledInterval` (see {@link crashRetryBoundMs}).
 */
export interface WorkerTiming {
  /**
   * How long a job lock lasts without renewal, in ms. Longer tolerates a busier worker main
   * process; shorter retries a crashed worker's jobs sooner. Minimum: `1000`.
   * @defaultValue `30000`
   */
  readonly lockDuration: number;
  /**
   * How often jobs whose lock expired are looked for, in ms. Minimum: `500`.
   * @defaultValue `15000` (with the default lock: a crashed worker's job runs again within about a minute)
   */
  readonly stalledInterval: number;
  /**
   * How many times a job may be put back after its worker died before it fails instead
   * ("job stalled more than allowable limit"), so a job that kills its worker every time does
   * not take the workers down one after another. Minimum: `0`.
   * @defaultValue `1`
   */
  readonly maxStalledCount?: number;
}

/** The timing used unless `--lock-duration`/`--stalled-interval`/`--max-stalled-count` are given. */
export const DEFAULT_TIMING: Required<WorkerTiming> = { lockDuration: 30_000, stalledInterval: 15_000, maxStalledCount: 1 };

/**
 * Checks a timing once, at the boundary; throws a `ConfigError` naming the field.
 * `lockDuration` and `stalledInterval` are at most an hour (3600000 ms), `maxStalledCount` at most 100.
 */
export function validateWorkerTiming(timing: WorkerTiming): Required<WorkerTiming> {
  return {
    lockDuration: expectInteger('lockDuration', timing.lockDuration, 1000, 3_600_000),
    stalledInterval: expectInteger('stalledInterval', timing.stalledInterval, 500, 3_600_000),
    maxStalledCount: expectInteger('maxStalledCount', timing.maxStalledCount ?? DEFAULT_TIMING.maxStalledCount, 0, 100),
  };
}

/**
 * About the longest a crashed worker's job waits before another worker runs it, in ms: its lock
 * expires at most `lockDuration` after the crash, the next stalled check then finds it (or marks
 * it, and the one after moves it) within `stalledInterval` each. Defaults: 60000.
 */
export function crashRetryBoundMs(timing: WorkerTiming): number {
  return timing.lockDuration + 2 * timing.stalledInterval;
}
