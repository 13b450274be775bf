/**
 * `meles worker`: one process that serves stage jobs in sandboxed child processes (one per
 * concurrency slot, so a 2-core machine uses both cores), the embed control jobs in-process,
 * scheduled batch-embedding jobs, and per-partition jobs (sandboxed) with their manifest jobs. `close()` lets running jobs finish, then closes workers,
 * then queues, each step in its own try. BullMQ reconnects forever, which is right when Redis
 * restarts, but not when Redis refuses the password: an authentication error (WRONGPASS/NOAUTH)
 * triggers a bounded re-check, and if that is refused too, `lost` resolves and the caller exits.
 */
import { Queue, Worker } from 'bullmq';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { embedControlProcessor } from './embed-control.js';
import { PARTITION_MANIFEST_QUEUE, PARTITION_QUEUE, partitionManifestProcessor } from './partition-jobs.js';
import { CONTROL_QUEUE, SCHEDULE_QUEUE, STAGE_QUEUE, validateWorkerTiming, type WorkerTiming } from './queues.js';
import { RedisUnavailableError } from '../../errors.js';
import { checkRedisWithRetries, isRedisAuthError, type RedisRetryOptions } from './redis-check.js';
import { redact, type RedisTarget } from './redis-url.js';
import type { WorkerRoots } from './roots.js';
import { Closer } from './shutdown.js';

/** Options of {@link startPipelineWorkers}. */
export interface PipelineWorkerOptions {
  /** Redis connection. */
  readonly redis: RedisTarget;
  /** BullMQ key prefix. @defaultValue `'meles'` */
  readonly prefix: string;
  /** Concurrent stage jobs (each in its own child process). Minimum: `1`. @defaultValue `1` */
  readonly concurrency: number;
  /** Directories jobs may read and write. */
  readonly roots: WorkerRoots;
  /**
   * Lock and stalled-check timing (must match every other worker); validated here. How soon a
   * crashed worker's jobs run elsewhere: see `crashRetryBoundMs` in queues.ts.
   * @defaultValue none; the CLI's are `DEFAULT_TIMING` (30 s lock, 15 s check, 1 stall allowed)
   */
  readonly timing: WorkerTiming;
  /**
   * How long `close()` waits for each worker (its running jobs, then its connections) before it
   * gives up on that worker and goes on. Running stages may take minutes; the limit exists because
   * BullMQ's close can hang on a connection stuck reconnecting (bullmq#4656). Minimum: `1000`.
   * @defaultValue `600000` (10 minutes)
   */
  readonly closeTimeoutMs?: number;
  /**
   * The re-check run when a connection reports an authentication error (WRONGPASS/NOAUTH): a
   * password changed or a user disabled while the worker runs. Other connection errors (Redis
   * restarting) are left to BullMQ's reconnects.
   * @defaultValue `{ timeoutMs: 5000, retries: 3, backoffMs: 1000 }`
   */
  readonly authRecheck?: Pick<RedisRetryOptions, 'timeoutMs' | 'retries' | 'backoffMs'>;
  /** Log sink for one-line messages (already redacted). @defaultValue write to stderr */
  readonly log?: (line: string) => void;
}

/** Running workers; see {@link startPipelineWorkers}. */
export interface PipelineWorkers {
  /** Resolves once every worker is connected and waiting for jobs. */
  readonly ready: Promise<void>;
  /**
   * Resolves (never rejects) when the worker gives up on Redis: an authentication error whose
   * re-check was refused on authentication too. The caller should `close()` (bounded) and exit.
   */
  readonly lost: Promise<RedisUnavailableError>;
  /** Graceful, idempotent shutdown. */
  close(): Promise<void>;
}

/** The sandboxed processor file: a .mjs shim that registers tsx, so it works under `npx meles`. */
export const STAGE_PROCESSOR_FILE = fileURLToPath(new URL('./stage-processor.mjs', import.meta.url));

/** The sandboxed processor of per-partition embed/features/score jobs (same shim arrangement). */
export const PARTITION_PROCESSOR_FILE = fileURLToPath(new URL('./partition-processor.mjs', import.meta.url));

/** The sandboxed processor of scheduled batch-embedding jobs (same shim arrangement). */
export const BATCH_EMBED_PROCESSOR_FILE = fileURLToPath(new URL('./batch-embed-processor.mjs', import.meta.url));

/**
 * Node flags of the sandboxed children: the parent's (as BullMQ would pass them; `--inspect*` is
 * left out, since every child would claim the parent's debugger port) plus `--single-threaded-gc`.
 * Each child is meant to own one core; V8's parallel GC helpers otherwise borrow the other core,
 * which is free with one busy child but contended with two. Measured on the 2-core machine with
 * two warm processes embedding 4 of 8 shards of a 3.2M-event file each: 1.61× the speed of one
 * process doing all 8 with the default GC, 1.76× with `--single-threaded-gc` (one process alone
 * was equally fast either way: 8.4 s vs 8.5 s).
 */
export const CHILD_EXEC_ARGV: readonly string[] = [...process.execArgv.filter((arg) => !arg.startsWith('--inspect')), '--single-threaded-gc'];

/** Starts the stage, control and schedule workers. */
export function startPipelineWorkers(options: PipelineWorkerOptions): PipelineWorkers {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const secrets = [options.redis.options.password];
  const connection = options.redis.options;
  const timing = validateWorkerTiming(options.timing);
  // Every worker (in-process or sandboxed processor) renews its locks from this process, whose
  // event loop only waits on Redis and the children: nothing here blocks it for long.
  const common = {
    connection,
    prefix: options.prefix,
    lockDuration: timing.lockDuration,
    stalledInterval: timing.stalledInterval,
    maxStalledCount: timing.maxStalledCount,
  };
  const forkEnv = {
    // One OpenBLAS thread per child: each concurrency slot is a process meant to own one core, and
    // a pthread pool per child (one thread per core) would oversubscribe the cores. A value the
    // operator set explicitly wins.
    OPENBLAS_NUM_THREADS: '1',
    ...process.env,
    MELES_DATA_ROOT: options.roots.dataRoot,
    MELES_OUT_ROOT: options.roots.outRoot,
  };
  const forkOptions = { env: forkEnv, execArgv: [...CHILD_EXEC_ARGV] };
  const stages = new Worker(STAGE_QUEUE, STAGE_PROCESSOR_FILE, {
    ...common,
    // Recorded as each job's `processedBy`, so status and benchmarks can tell which worker ran it.
    name: workerName(),
    concurrency: options.concurrency,
    useWorkerThreads: false,
    workerForkOptions: forkOptions,
  });
  const scheduled = new Worker(SCHEDULE_QUEUE, BATCH_EMBED_PROCESSOR_FILE, {
    ...common,
    concurrency: 1,
    useWorkerThreads: false,
    workerForkOptions: forkOptions,
  });
  // Per-partition jobs: their own pool of children, `concurrency` of them, like the stage jobs.
  const partitions = new Worker(PARTITION_QUEUE, PARTITION_PROCESSOR_FILE, {
    ...common,
    name: workerName(),
    concurrency: options.concurrency,
    useWorkerThreads: false,
    workerForkOptions: forkOptions,
  });
  const manifests = new Worker(PARTITION_MANIFEST_QUEUE, partitionManifestProcessor(options.roots), { ...common, concurrency: 4 });
  const stageQueue = new Queue(STAGE_QUEUE, { connection, prefix: options.prefix });
  const control = new Worker(CONTROL_QUEUE, embedControlProcessor(stageQueue, options.roots, { redis: options.redis, prefix: options.prefix }), { ...common, concurrency: 8 });

  // Authentication errors: BullMQ would reconnect and print WRONGPASS forever. Re-check once
  // (bounded tries, one line each), quiet meanwhile; a refusal again resolves `lost`.
  let resolveLost: (error: RedisUnavailableError) => void = () => {};
  const lost = new Promise<RedisUnavailableError>((done) => (resolveLost = done));
  let rechecking = false;
  let gaveUp = false;
  const recheck = async (): Promise<void> => {
    rechecking = true;
    try {
      await checkRedisWithRetries(options.redis, {
        ...options.authRecheck,
        onRetry: (error, attempt, tries, waitMs) => log(`meles worker: Redis check ${attempt}/${tries}: ${error.message}; again in ${waitMs / 1000} s`),
      });
      log('meles worker: Redis accepts the credentials again; carrying on');
    } catch (error) {
      if (error instanceof RedisUnavailableError && error.kind === 'auth') {
        gaveUp = true;
        resolveLost(error);
      } else {
        // Down or unreachable rather than refusing: BullMQ's reconnects wait for it, as after a restart.
        log(`meles worker: ${redact(error instanceof Error ? error.message : String(error), secrets)}; waiting for Redis to come back`);
      }
    } finally {
      rechecking = false;
    }
  };
  const logError = (name: string) => (error: Error) => {
    if (gaveUp || rechecking) return;
    log(`meles worker: ${name}: ${redact(error.message, secrets)}`);
    if (isRedisAuthError(error)) {
      log('meles worker: Redis refused the credentials; checking again before giving up');
      void recheck();
    }
  };
  stages.on('error', logError('stage worker'));
  scheduled.on('error', logError('schedule worker'));
  control.on('error', logError('control worker'));
  partitions.on('error', logError('partition worker'));
  manifests.on('error', logError('partition manifest worker'));
  stageQueue.on('error', logError('stage queue'));
  for (const worker of [stages, scheduled, control, partitions, manifests]) {
    worker.on('failed', (job, error) => log(`meles worker: job ${job?.id ?? '?'} failed: ${redact(error.message, secrets)}`));
    worker.on('completed', (job) => log(`meles worker: job ${job.id} completed`));
  }

  const timeoutMs = options.closeTimeoutMs ?? 600_000;
  const closer = new Closer(
    [
      // Workers first (each waits for its running jobs), then the queue the control worker adds to.
      { name: 'stage worker', close: () => stages.close(), timeoutMs },
      { name: 'schedule worker', close: () => scheduled.close(), timeoutMs },
      { name: 'control worker', close: () => control.close(), timeoutMs },
      { name: 'partition worker', close: () => partitions.close(), timeoutMs },
      { name: 'partition manifest worker', close: () => manifests.close(), timeoutMs },
      { name: 'stage queue', close: () => stageQueue.close(), timeoutMs: 10_000 },
    ],
    (step, error) => log(`meles worker: closing ${step} failed: ${redact(String(error), secrets)}`),
  );
  const ready = Promise.all([stages, scheduled, control, partitions, manifests].map((w) => w.waitUntilReady())).then(() => {});
  return { ready, lost, close: () => closer.close() };
}

/** `host:pid` of this worker process (unique among live workers; shows in a job's `processedBy`). */
export function workerName(): string {
  return `${hostname()}:${process.pid}`;
}
