/**
 * `meles worker`: processes pipeline and scheduled jobs until SIGINT/SIGTERM, then lets running
 * jobs finish and closes workers, queues and connections in order.
 */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { expectInteger } from '../../options.js';
import { integerFlag } from '../flags.js';
import { crashRetryBoundMs, DEFAULT_PREFIX, DEFAULT_TIMING, validateWorkerTiming } from '../../pipeline/queue/queues.js';
import { checkRedisWithRetries, connectTimeoutFrom } from '../../pipeline/queue/redis-check.js';
import { parseRedisUrl, redisUrlFrom } from '../../pipeline/queue/redis-url.js';
import { closeOnSignals } from '../../pipeline/queue/shutdown.js';
import { startPipelineWorkers } from '../../pipeline/queue/worker-runtime.js';

interface WorkerFlags {
  readonly redis?: string;
  readonly prefix: string;
  readonly concurrency: string;
  readonly dataRoot: string;
  readonly outRoot: string;
  readonly lockDuration: string;
  readonly stalledInterval: string;
  readonly maxStalledCount: string;
  readonly shutdownTimeout: string;
  readonly connectTimeout?: string;
  readonly connectRetries: string;
}

/** Registers `meles worker`. */
export function register(program: Command): void {
  program
    .command('worker')
    .description('process pipeline stages (each in a sandboxed child process) and scheduled embedding jobs')
    .requiredOption('--data-root <dir>', 'jobs may only read inputs under this directory')
    .requiredOption('--out-root <dir>', 'jobs may only write under this directory')
    .option('--concurrency <n>', 'stage jobs at a time (one child process each)', '1')
    .option('--redis <url>', 'Redis URL (redis:// or rediss://); default $REDIS_URL or redis://127.0.0.1:6379')
    .option('--prefix <prefix>', 'BullMQ key prefix', DEFAULT_PREFIX)
    .option('--lock-duration <ms>', 'job lock duration, renewed while a job runs; a crashed worker\'s jobs run elsewhere after at most about lock duration + 2 x stalled interval; use the same value on every worker', String(DEFAULT_TIMING.lockDuration))
    .option('--stalled-interval <ms>', 'how often to look for jobs of crashed workers; use the same value on every worker', String(DEFAULT_TIMING.stalledInterval))
    .option('--max-stalled-count <n>', 'times a job may be put back after its worker crashed before it fails', String(DEFAULT_TIMING.maxStalledCount))
    .option('--shutdown-timeout <s>', 'on SIGTERM/SIGINT, wait at most this long per worker for running jobs and connections', '600')
    .option('--connect-timeout <s>', 'give each Redis connection check this long; default $MELES_REDIS_CONNECT_TIMEOUT or 5')
    .option('--connect-retries <n>', 'at startup (and after Redis refuses the password), check Redis this many more times, 1, 2, 4 … s apart, then exit 3', '3')
    .action(async (flags: WorkerFlags) => {
      const concurrency = expectInteger('concurrency', Number(flags.concurrency), 1, 64);
      const timing = validateWorkerTiming({
        lockDuration: integerFlag('--lock-duration', flags.lockDuration),
        stalledInterval: integerFlag('--stalled-interval', flags.stalledInterval),
        maxStalledCount: integerFlag('--max-stalled-count', flags.maxStalledCount),
      });
      const shutdownTimeout = expectInteger('shutdownTimeout', Number(flags.shutdownTimeout), 1, 86_400);
      const connectRetries = expectInteger('connectRetries', Number(flags.connectRetries), 0, 100);
      const redis = parseRedisUrl(redisUrlFrom(flags.redis));
      const connect = { timeoutMs: connectTimeoutFrom(flags.connectTimeout), retries: connectRetries };
      // BullMQ would retry a down Redis or a refused password forever: check first, a bounded number of times.
      await checkRedisWithRetries(redis, {
        ...connect,
        onRetry: (error, attempt, tries, waitMs) => process.stderr.write(`meles worker: try ${attempt}/${tries}: ${error.message}; again in ${waitMs / 1000} s\n`),
      });
      const workers = startPipelineWorkers({
        redis,
        prefix: flags.prefix,
        concurrency,
        roots: { dataRoot: resolve(flags.dataRoot), outRoot: resolve(flags.outRoot) },
        timing,
        closeTimeoutMs: shutdownTimeout * 1000,
        authRecheck: connect,
      });
      // Redis refused the credentials while running: close (bounded: jobs cannot finish without
      // Redis) and fail with exit code 3; a timer ends a close that left ioredis timers behind.
      const gaveUp = workers.lost.then(async (error) => {
        await Promise.race([workers.close(), new Promise((done) => setTimeout(done, 10_000).unref())]);
        setTimeout(() => process.exit(process.exitCode ?? 3), 2000).unref();
        throw error;
      });
      const stopped = new Promise<void>((done) => {
        closeOnSignals(
          async () => {
            process.stderr.write('meles worker: shutting down after running jobs finish (signal again to force)\n');
            await workers.close();
            done();
          },
          () => process.exit(130),
        );
      });
      await Promise.race([workers.ready, gaveUp]);
      process.stderr.write(`meles worker: ready (${redis.display}, prefix ${flags.prefix}, concurrency ${concurrency}; a crashed worker's jobs run again within about ${Math.ceil(crashRetryBoundMs(timing) / 1000)} s)\n`);
      await Promise.race([stopped, gaveUp]);
      process.stderr.write('meles worker: stopped\n');
      // A worker whose close timed out may leave ioredis reconnect timers behind; they must not keep
      // a stopped worker alive.
      process.exit(process.exitCode ?? 0);
    });
}
