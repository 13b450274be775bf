/**
 * `meles status`: submitted pipeline runs (stage jobs, states, progress, errors) and the
 * schedules (next run, last run, last failure, model version, drift flag).
 */
import { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { DEFAULT_PREFIX } from '../../pipeline/queue/queues.js';
import { checkedRedisFrom } from '../../pipeline/queue/redis-check.js';
import { collectScheduleStatus, DEFAULT_DRIFT_THRESHOLD, formatScheduleStatus } from '../../pipeline/queue/schedule-status.js';
import { collectStatus, formatStatus } from '../../pipeline/queue/status.js';

interface StatusFlags {
  readonly run?: string;
  readonly redis?: string;
  readonly prefix: string;
  readonly json?: boolean;
  readonly connectTimeout?: string;
  readonly driftThreshold: string;
}

/** Registers `meles status`. */
export function register(program: Command): void {
  program
    .command('status')
    .description('show submitted pipelines (stage states, progress, errors) and schedules (next and last run, last failure, drift)')
    .option('--run <id>', 'only this pipeline run (schedules are not listed)')
    .option('--redis <url>', 'Redis URL (redis:// or rediss://); default $REDIS_URL or redis://127.0.0.1:6379')
    .option('--prefix <prefix>', 'BullMQ key prefix', DEFAULT_PREFIX)
    .option('--json', 'print JSON: {"runs": [...], "schedules": [...]}')
    .option('--connect-timeout <s>', 'give up on Redis after this many seconds (exit 3); default $MELES_REDIS_CONNECT_TIMEOUT or 5')
    .option('--drift-threshold <x>', "flag a scheduled run whose mean cosine similarity to the previous run's embeddings is below x", String(DEFAULT_DRIFT_THRESHOLD))
    .action(async (opts: StatusFlags) => {
      const threshold = Number(opts.driftThreshold);
      if (opts.driftThreshold.trim() === '' || !Number.isFinite(threshold) || threshold < -1 || threshold > 1) {
        throw new ConfigError(`Expected \`--drift-threshold\` to be a cosine similarity in [-1, 1], got \`${opts.driftThreshold}\``);
      }
      const { redis, timeoutMs } = await checkedRedisFrom(opts); // exit 3 with the server's reason
      const runs = await collectStatus(redis, opts.prefix, opts.run, timeoutMs);
      const schedules = opts.run === undefined ? await collectScheduleStatus(redis, opts.prefix, timeoutMs) : [];
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ runs, schedules }, null, 2)}\n`);
        return;
      }
      // Without schedules the output stays what it was (pipeline runs only).
      process.stdout.write(formatStatus(runs) + (schedules.length > 0 ? formatScheduleStatus(schedules, threshold) : ''));
    });
}
