/**
 * `meles schedule add|list|remove`: nightly (or any cron) batch embedding with the latest
 * published model; `meles worker` processes the runs.
 */
import { Command } from 'commander';
import { expectInteger } from '../../options.js';
import { DEFAULT_PREFIX } from '../../pipeline/queue/queues.js';
import { checkedRedisFrom } from '../../pipeline/queue/redis-check.js';
import { addSchedule, listSchedules, removeSchedule, type ScheduleTarget } from '../../pipeline/queue/schedules.js';

interface RedisFlags {
  readonly redis?: string;
  readonly prefix: string;
  readonly connectTimeout?: string;
}

function withRedis(cmd: Command): Command {
  return cmd
    .option('--redis <url>', 'Redis URL (redis:// or rediss://); default $REDIS_URL or redis://127.0.0.1:6379')
    .option('--prefix <prefix>', 'BullMQ key prefix', DEFAULT_PREFIX)
    .option('--connect-timeout <s>', 'give up on Redis after this many seconds (exit 3); default $MELES_REDIS_CONNECT_TIMEOUT or 5');
}

/** The schedule target, once Redis answered (else a RedisUnavailableError with the reason: exit 3, not a hang). */
async function targetOf(flags: RedisFlags): Promise<ScheduleTarget> {
  return { redis: (await checkedRedisFrom(flags)).redis, prefix: flags.prefix };
}

/** Registers `meles schedule`. */
export function register(program: Command): void {
  const schedule = program.command('schedule').description('scheduled batch embedding with the latest published model');

  withRedis(
    schedule
      .command('add')
      .description('add a schedule, or update the one with the same name')
      .argument('<name>', 'schedule name')
      .requiredOption('--cron <pattern>', 'cron pattern, e.g. "0 2 * * *" (6 fields = with seconds)')
      .requiredOption('--data <dataset>', "dataset embedded whole on each run, as of its due time: a file, a directory or a quoted glob ('/data/daily/*.arrow')")
      .requiredOption('--out <dir>', 'one dated directory per run is created here')
      .option('--registry <dir>', 'model registry', 'runs/registry')
      .option('--tz <zone>', 'time zone of the cron pattern', 'UTC')
      .option('--max-events <n>', 'events per client')
      .option('--model <latest|vN>', 'latest = the registry\'s pinned version, else its latest; vN = always that version', 'latest')
      .option('--full', 'embed every event on every run (default: a GRU/LSTM model continues the previous run\'s state over the new events)'),
  ).action(async (name: string, flags: RedisFlags & { cron: string; data: string; out: string; registry: string; tz: string; maxEvents?: string; model: string; full?: boolean }) => {
    const maxEvents = flags.maxEvents === undefined ? undefined : expectInteger('maxEvents', Number(flags.maxEvents), 1);
    await addSchedule(await targetOf(flags), {
      name, cron: flags.cron, tz: flags.tz, data: flags.data, out: flags.out, registry: flags.registry, model: flags.model, ...(maxEvents ? { maxEvents } : {}),
      ...(flags.full === true ? { incremental: false } : {}),
    });
    process.stderr.write(`schedule ${name}: ${flags.cron} (${flags.tz}), model ${flags.model}${flags.full === true ? ', full runs' : ''}\n`);
  });

  withRedis(schedule.command('list').description('list schedules').option('--json', 'print JSON')).action(
    async (flags: RedisFlags & { json?: boolean }) => {
      const list = await listSchedules(await targetOf(flags));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      if (list.length === 0) process.stdout.write('no schedules\n');
      for (const s of list) {
        const next = s.next ? new Date(s.next).toISOString() : '-';
        process.stdout.write(`${s.name}  ${s.cron}${s.tz ? ` (${s.tz})` : ''}  next ${next}  model ${s.model ?? 'latest'}${s.incremental ? '' : '  full'}  ${s.data ?? ''} → ${s.out ?? ''}\n`);
      }
    },
  );

  withRedis(schedule.command('remove').description('remove a schedule').argument('<name>', 'schedule name')).action(
    async (name: string, flags: RedisFlags) => {
      const removed = await removeSchedule(await targetOf(flags), name);
      process.stderr.write(removed ? `schedule ${name} removed\n` : `no schedule named ${name}\n`);
      if (!removed) process.exitCode = 2;
    },
  );
}
