/**
 * `meles status`: submitted pipeline runs, their stage jobs, states, progress and errors.
 */
import { Command } from 'commander';
import { DEFAULT_PREFIX } from '../../pipeline/queue/queues.js';
import { checkedRedisFrom } from '../../pipeline/queue/redis-check.js';
import { collectStatus, formatStatus } from '../../pipeline/queue/status.js';

/** Registers `meles status`. */
export function register(program: Command): void {
  program
    .command('status')
    .description('show submitted pipelines: stage states, progress and errors')
    .option('--run <id>', 'only this run')
    .option('--redis <url>', 'Redis URL (redis:// or rediss://); default $REDIS_URL or redis://127.0.0.1:6379')
    .option('--prefix <prefix>', 'BullMQ key prefix', DEFAULT_PREFIX)
    .option('--json', 'print JSON')
    .option('--connect-timeout <s>', 'give up on Redis after this many seconds (exit 3); default $MELES_REDIS_CONNECT_TIMEOUT or 5')
    .action(async (opts: { run?: string; redis?: string; prefix: string; json?: boolean; connectTimeout?: string }) => {
      const { redis, timeoutMs } = await checkedRedisFrom(opts); // exit 3 with the server's reason
      const runs = await collectStatus(redis, opts.prefix, opts.run, timeoutMs);
      process.stdout.write(opts.json ? `${JSON.stringify(runs, null, 2)}\n` : formatStatus(runs));
    });
}
