/**
 * Embed, features and score over a partitioned dataset as one BullMQ flow: a child job per
 * partition on `PARTITION_QUEUE` (sandboxed, any worker on any host, each writing its own
 * `part-NNNNN.arrow`), and a parent on `PARTITION_MANIFEST_QUEUE` that BullMQ runs only once
 * every child has completed, which writes the output manifest. Job ids are deterministic
 * (`<run>-part-<i>`, `<run>-manifest`), so a partition is queued once however the flow is retried.
 * A child that fails on bad input (a partition missing, changed or corrupt, a manifest that does
 * not match, a path outside the worker's roots) fails once (`UnrecoverableError`, job-errors.ts)
 * and fails the parent, so no manifest is written; parts already written stay as they are.
 */
import { FlowProducer, Queue, type Job } from 'bullmq';
import type { PartitionedOutputManifest } from '../../data/partitioned-output.js';
import { ConfigError, MelesError } from '../../errors.js';
import { RUN_ID } from './job-payload.js';
import { redactError, toJobError } from './job-errors.js';
import { addFlowWithin } from './bounded-flow.js';
import { parsePartitionJob, partitionPayload, runFromPayload, type PartitionJobData } from './partition-payload.js';
import { finishPartitionRun, type PartitionRun } from './partition-task.js';
import { PARTITION_MANIFEST_QUEUE, PARTITION_QUEUE, STAGE_JOB_OPTIONS } from './queues.js';

export { PARTITION_MANIFEST_QUEUE, PARTITION_QUEUE };
import type { RedisTarget } from './redis-url.js';
import type { WorkerRoots } from './roots.js';

/** BullMQ job id of partition `index` of a run. */
export function partitionJobId(runId: string, index: number): string {
  return `${runId}-part-${index}`;
}

/** BullMQ job id of a run's manifest job. */
export function manifestJobId(runId: string): string {
  return `${runId}-manifest`;
}

/** Where to submit. */
export interface PartitionSubmitOptions {
  /** Redis connection. */
  readonly redis: RedisTarget;
  /** BullMQ key prefix. @defaultValue `'meles'` (the CLI's) */
  readonly prefix: string;
  /** The workers' roots as this host sees them (paths then travel root-relative). @defaultValue absolute paths */
  readonly roots?: WorkerRoots;
  /**
   * A job to add the run under (a pipeline's embed or features job): the manifest job becomes its
   * child and fails it on failure, so the parent continues once the whole run is done.
   * @defaultValue none (the run is a flow of its own)
   */
  readonly parent?: { readonly id: string; readonly queue: string };
  /**
   * How long connecting may take, and then again how long Redis may take to answer the add, in ms
   * (see bounded-flow.ts); past it a `RedisUnavailableError` names the address and the run.
   * Minimum: `1`. @defaultValue `MELES_REDIS_CONNECT_TIMEOUT` (seconds) or 5000
   */
  readonly timeoutMs?: number;
  /**
   * Add through BullMQ's own reconnecting client instead, waiting for Redis however long it is away
   * (`timeoutMs` then does not apply): what a worker's control job wants, since the worker's other
   * connections wait for Redis to come back too.
   * @defaultValue `false` (a command: give up after `timeoutMs`)
   */
  readonly reconnect?: boolean;
}

/** What was submitted. */
export interface PartitionSubmitResult {
  /** The run id (also in every job id). */
  readonly runId: string;
  /** The manifest job's id (completes last). */
  readonly manifestJobId: string;
  /** Partition job ids, by partition. */
  readonly partitionJobIds: readonly string[];
}

/**
 * Adds the run as one flow; resolves once Redis has it.
 * @throws RedisUnavailableError within about twice `timeoutMs` when Redis is down or silent.
 */
export async function submitPartitionRun(run: PartitionRun, options: PartitionSubmitOptions): Promise<PartitionSubmitResult> {
  if (!RUN_ID.test(run.runId)) throw new ConfigError(`Expected the run id to match ${String(RUN_ID)} (a letter, then letters, digits, _ or -), got \`${run.runId}\``);
  const payload = await partitionPayload(run, options.roots);
  const partitionJobIds = run.inputRows.map((_, index) => partitionJobId(run.runId, index));
  const flow = {
    name: 'partition-manifest',
    queueName: PARTITION_MANIFEST_QUEUE,
    data: payload,
    opts: { ...STAGE_JOB_OPTIONS, jobId: manifestJobId(run.runId), ...(options.parent === undefined ? {} : { parent: { ...options.parent }, failParentOnFailure: true }) },
    children: partitionJobIds.map((jobId, partition) => ({
      name: 'partition',
      queueName: PARTITION_QUEUE,
      data: { ...payload, partition } satisfies PartitionJobData,
      opts: { ...STAGE_JOB_OPTIONS, jobId, failParentOnFailure: true },
    })),
  };
  if (options.reconnect === true) {
    const producer = new FlowProducer({ connection: options.redis.options, prefix: options.prefix });
    producer.on('error', () => {});
    try {
      await producer.add(flow);
    } catch (error) {
      throw redactError(error, [options.redis.options.password]);
    } finally {
      await producer.close().catch(() => {});
    }
  } else {
    await addFlowWithin(flow, { runId: run.runId, jobIds: [...partitionJobIds, manifestJobId(run.runId)] }, {
      redis: options.redis,
      prefix: options.prefix,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  }
  return { runId: run.runId, manifestJobId: manifestJobId(run.runId), partitionJobIds };
}

/** The processor of `PARTITION_MANIFEST_QUEUE` jobs, given this worker's roots. */
export function partitionManifestProcessor(roots: WorkerRoots) {
  return async (job: Job): Promise<{ rows: number; parts: number }> => {
    try {
      const data = parsePartitionJob(job.data, job.id);
      if (data.partition !== undefined) throw new Error(`job ${job.id}: a partition job on the manifest queue`);
      const manifest = await finishPartitionRun(await runFromPayload(data, roots));
      return { rows: manifest.rows, parts: manifest.parts.length };
    } catch (error) {
      throw toJobError(error);
    }
  };
}

/** A submitted run failed: the message names every failed partition job and its reason. */
export class PartitionRunFailedError extends MelesError {
  constructor(
    message: string,
    /**
     * True when every failed job failed before using its attempts: only bad input fails a job at
     * once (`UnrecoverableError`, job-errors.ts), so the CLI can exit 2 as for a local run.
     */
    readonly badInput = false,
  ) {
    super(message);
  }
}

/** Waiting for a submitted run took longer than asked; the run itself goes on (its jobs are untouched). */
export class PartitionRunTimeoutError extends MelesError {
  constructor(
    message: string,
    /** The run waited for. */
    readonly runId: string,
  ) {
    super(message);
  }
}

/** Options of {@link waitForPartitionRun}. */
export interface WaitOptions {
  /** Redis connection. */
  readonly redis: RedisTarget;
  /** @defaultValue `'meles'` (the CLI's) */
  readonly prefix: string;
  /** Give up after this many ms. @defaultValue no limit */
  readonly timeoutMs?: number;
  /** Called when the number of finished partitions changes. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Polls until the run's manifest job completes (returns the totals it reported) or it or a
 * partition job fails.
 * @throws PartitionRunFailedError naming the failed jobs and their reasons; PartitionRunTimeoutError
 *   naming the run after `timeoutMs` (nothing is cancelled).
 */
export async function waitForPartitionRun(runId: string, partitions: number, options: WaitOptions): Promise<{ rows: number; parts: number }> {
  const manifestQueue = new Queue(PARTITION_MANIFEST_QUEUE, { connection: options.redis.options, prefix: options.prefix });
  const partitionQueue = new Queue(PARTITION_QUEUE, { connection: options.redis.options, prefix: options.prefix });
  manifestQueue.on('error', () => {});
  partitionQueue.on('error', () => {});
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  let reported = -1;
  try {
    for (;;) {
      const parent = await manifestQueue.getJob(manifestJobId(runId));
      if (parent === undefined) throw new PartitionRunFailedError(`Run ${runId}: no manifest job ${manifestJobId(runId)} in Redis (prefix ${options.prefix})`);
      const state = await parent.getState();
      // Read again: the job may have completed between getJob and getState, so `parent` may lack its return value.
      if (state === 'completed') return (await manifestQueue.getJob(manifestJobId(runId)))!.returnvalue as { rows: number; parts: number };
      const children = await Promise.all(Array.from({ length: partitions }, (_, i) => partitionQueue.getJob(partitionJobId(runId, i))));
      const states = await Promise.all(children.map((c) => c?.getState()));
      // Read the failed ones again: a child that failed between getJob and getState was read
      // without its failedReason and attempt count.
      const failed = (await Promise.all(children.map((c, i) => (c !== undefined && states[i] === 'failed' ? partitionQueue.getJob(c.id!) : undefined))))
        .filter((c): c is Job => c !== undefined);
      if (failed.length > 0 || state === 'failed') {
        const reasons = failed.map((c) => `  ${c.id}: ${c.failedReason}`);
        if (state === 'failed' && failed.length === 0) reasons.push(`  ${parent.id}: ${parent.failedReason}`);
        const early = failed.length > 0 && failed.every((c) => c.attemptsMade < (c.opts.attempts ?? 1));
        throw new PartitionRunFailedError(`Run ${runId} failed:\n${reasons.join('\n')}`, early);
      }
      const done = states.filter((s) => s === 'completed').length;
      if (done !== reported) {
        reported = done;
        options.onProgress?.(done, partitions);
      }
      if (Date.now() > deadline) {
        throw new PartitionRunTimeoutError(
          `Run ${runId}: still running after ${(options.timeoutMs! / 1000).toFixed(1)} s (${done} of ${partitions} partitions done); stopped waiting, the jobs keep running (follow them with \`meles status --run ${runId}\`)`,
          runId,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await Promise.all([manifestQueue.close().catch(() => {}), partitionQueue.close().catch(() => {})]);
  }
}
