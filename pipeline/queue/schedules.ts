/**
 * `meles schedule add|list|remove`: BullMQ job schedulers that enqueue batch-embedding jobs; each
 * run embeds the whole dataset as of its due time (batch-embed-job.ts), continuing the previous
 * run's state when it can unless the schedule asks for full runs.
 * `upsertJobScheduler` keys schedulers by name, so adding a name again updates it in place.
 */
import { resolve } from 'node:path';
import { Queue, type JobSchedulerJson } from 'bullmq';
import { ConfigError } from '../../errors.js';
import { batchEmbedJobSchema, type BatchEmbedJobData } from './batch-embed-job.js';
import { redactError } from './job-errors.js';
import { RUN_ID } from './job-payload.js';
import { SCHEDULE_QUEUE, STAGE_JOB_OPTIONS } from './queues.js';
import type { RedisTarget } from './redis-url.js';

/** A schedule to add or update. */
export interface ScheduleSpec {
  /** Schedule name (letters, digits, `-`, `_`). */
  readonly name: string;
  /** Cron pattern: 5 fields, or 6 with seconds first (e.g. `0 2 * * *`, `*\/5 * * * * *`). */
  readonly cron: string;
  /** Time zone of the pattern. @defaultValue `'UTC'` */
  readonly tz?: string;
  /** Dataset to embed on each run, as one history per client: a file, a directory or a glob (`/data/daily/*.arrow`). */
  readonly data: string;
  /** Directory that receives one dated directory per run. */
  readonly out: string;
  /** Model registry whose latest version is used. */
  readonly registry: string;
  /** Events per client. @defaultValue the embedder's default */
  readonly maxEvents?: number;
  /** `latest` follows the registry (pinned version, else latest); `vN` always uses that version. @defaultValue `'latest'` */
  readonly model?: string;
  /**
   * Continue the previous run's state over the new events when that equals a full run (recurrent
   * models; batch-run-plan.ts); `false` embeds every event on every run (`--full`). @defaultValue `true`
   */
  readonly incremental?: boolean;
}

/** A stored schedule, as listed. */
export interface ScheduleInfo {
  /** Schedule name. */
  readonly name: string;
  /** Cron pattern. */
  readonly cron: string;
  /** Time zone. */
  readonly tz?: string;
  /** Next run (ms since epoch), when known. */
  readonly next?: number;
  /** What it embeds and where. */
  readonly data?: string;
  /** Output directory. */
  readonly out?: string;
  /** Model choice (`latest` or a version). */
  readonly model?: string;
  /** `false` when the schedule forces full runs. */
  readonly incremental: boolean;
}

/** Where schedules live. */
export interface ScheduleTarget {
  /** Redis connection. */
  readonly redis: RedisTarget;
  /** BullMQ key prefix. */
  readonly prefix: string;
}

/** Adds the schedule, or updates the one with the same name. Paths are made absolute here. */
export async function addSchedule(target: ScheduleTarget, spec: ScheduleSpec): Promise<void> {
  if (!RUN_ID.test(spec.name)) {
    throw new ConfigError(`Expected the schedule name to start with a letter and use only letters, digits, \`-\` and \`_\`, got \`${spec.name}\``);
  }
  const data: BatchEmbedJobData = {
    version: 1,
    kind: 'batch-embed',
    schedule: spec.name,
    data: resolve(spec.data),
    out: resolve(spec.out),
    registry: resolve(spec.registry),
    ...(spec.maxEvents ? { maxEvents: spec.maxEvents } : {}),
    model: spec.model ?? 'latest',
    // Only written when it differs from the default, so payloads of incremental schedules stay as before.
    ...(spec.incremental === false ? { incremental: false } : {}),
  };
  if (!batchEmbedJobSchema.shape.model.safeParse(data.model).success) {
    throw new ConfigError(`Expected the schedule's model to be \`latest\` or a version name like \`v3\`, got \`${data.model}\``);
  }
  await withQueue(target, async (queue) => {
    try {
      await queue.upsertJobScheduler(spec.name, { pattern: spec.cron, tz: spec.tz ?? 'UTC' }, { name: 'batch-embed', data, opts: STAGE_JOB_OPTIONS });
    } catch (error) {
      // cron-parser's complaint is about the pattern the user typed.
      if (error instanceof Error && /pattern|cron|invalid/i.test(error.message)) {
        throw new ConfigError(`Invalid cron pattern \`${spec.cron}\` for schedule ${spec.name}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  });
}

/** Every schedule, by name. */
export async function listSchedules(target: ScheduleTarget): Promise<ScheduleInfo[]> {
  return withQueue(target, async (queue) => {
    const schedulers = await queue.getJobSchedulers(0, -1, true);
    return schedulers.map(scheduleInfo);
  });
}

/** A BullMQ job scheduler of the schedule queue as a {@link ScheduleInfo}. */
export function scheduleInfo(s: JobSchedulerJson): ScheduleInfo {
  const data = s.template?.data as Partial<BatchEmbedJobData> | undefined;
  return {
    name: s.key,
    cron: s.pattern ?? `every ${s.every} ms`,
    ...(s.tz ? { tz: s.tz } : {}),
    ...(s.next ? { next: s.next } : {}),
    ...(typeof data?.data === 'string' ? { data: data.data } : {}),
    ...(typeof data?.out === 'string' ? { out: data.out } : {}),
    model: typeof data?.model === 'string' ? data.model : 'latest',
    incremental: data?.incremental !== false,
  };
}

/** Removes a schedule; false when there was none by that name. */
export async function removeSchedule(target: ScheduleTarget, name: string): Promise<boolean> {
  return withQueue(target, (queue) => queue.removeJobScheduler(name));
}

async function withQueue<T>(target: ScheduleTarget, use: (queue: Queue) => Promise<T>): Promise<T> {
  const queue = new Queue(SCHEDULE_QUEUE, { connection: target.redis.options, prefix: target.prefix });
  queue.on('error', () => {});
  try {
    return await use(queue);
  } catch (error) {
    throw redactError(error, [target.redis.options.password]);
  } finally {
    await queue.close().catch(() => {});
  }
}
