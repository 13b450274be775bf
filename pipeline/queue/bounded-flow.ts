/**
 * Adding a flow from a short-lived command (`meles pipeline submit`, `--submit` of the partitioned
 * commands) within a bounded time. The command checks Redis first (redis-check.ts), but Redis can
 * go away between that check and the add; BullMQ's own clients then reconnect and queue the add
 * forever (a killed server), or wait forever for an answer (a stopped or wedged one, whose kernel
 * still accepts connections), and a cron job would hang. Here the flow is added through one
 * ioredis client of our own that does not retry (`retryStrategy` null, `enableOfflineQueue` false,
 * `maxRetriesPerRequest` 0), with `connectTimeout`/`commandTimeout` and a timer around each
 * phase as the last word. A flow is added by one MULTI/EXEC transaction, so Redis holds all of it
 * or none of it: the error says which run it was and how to find out and resubmit without
 * duplicates (the job ids are deterministic per run id).
 */
import { FlowProducer, type FlowJob } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisUnavailableError, type RedisFailureKind } from '../../errors.js';
import { expectInteger } from '../../options.js';
import { redactError } from './job-errors.js';
import { connectTimeoutFrom } from './redis-check.js';
import { redact, type RedisTarget } from './redis-url.js';

/** What is being added, for the error messages: the run and its jobs. */
export interface FlowDescription {
  /** The run id (`meles status --run <id>`, `--run-id <id>`). */
  readonly runId: string;
  /** Every job id in the flow. */
  readonly jobIds: readonly string[];
}

/** Options of {@link addFlowWithin}. */
export interface BoundedFlowOptions {
  /** Redis connection. */
  readonly redis: RedisTarget;
  /** BullMQ key prefix. */
  readonly prefix: string;
  /**
   * How long connecting (TCP, TLS, AUTH, ready check) may take, and then again how long Redis may
   * take to answer the add, in ms; at most about twice this in all. Minimum: `1`.
   * @defaultValue `MELES_REDIS_CONNECT_TIMEOUT` (seconds) or 5000
   */
  readonly timeoutMs?: number;
}

/**
 * Adds `flow` or throws a {@link RedisUnavailableError} naming the Redis address, within about
 * twice `timeoutMs`. A failure while connecting means nothing was sent; a failure during the add
 * means the transaction may or may not have reached Redis, and the message says how to check.
 */
export async function addFlowWithin(flow: FlowJob, what: FlowDescription, options: BoundedFlowOptions): Promise<void> {
  const timeoutMs = options.timeoutMs === undefined ? connectTimeoutFrom(undefined) : expectInteger('timeoutMs', options.timeoutMs, 1);
  const { redis } = options;
  const secrets = [redis.options.password];
  const seconds = `${Number((timeoutMs / 1000).toFixed(3))} s`;
  const client = new Redis({
    ...redis.options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null, // a cron job wants an answer, not a reconnect loop
    reconnectOnError: null,
  });
  let reason: Error | undefined;
  client.on('error', (error: Error) => {
    reason ??= error;
  });
  const fail = ([kind, why]: Failure, detail: string, cause: unknown): RedisUnavailableError =>
    new RedisUnavailableError(redact(`Cannot use Redis at ${redis.display}: ${why} ${detail}`, secrets), kind, { cause: redactError(cause, secrets) });
  let producer: FlowProducer | undefined;
  try {
    try {
      await within(timeoutMs, async () => {
        await client.connect();
        // BullMQ's own start-up (loading its scripts, asking the version) belongs to this phase too.
        producer = new FlowProducer({ connection: client, prefix: options.prefix });
        producer.on('error', () => {});
        await producer.waitUntilReady();
      });
    } catch (error) {
      throw fail(failure(reason ?? error, seconds, redis), `while connecting; nothing of run ${what.runId} was submitted`, reason ?? error);
    }
    try {
      await within(timeoutMs, () => producer!.add(flow));
    } catch (error) {
      throw fail(
        failure(error, seconds, redis),
        `while adding run ${what.runId} (${what.jobIds.length} jobs: ${what.jobIds.join(', ')}). ` +
          'A run is added all at once or not at all, and Redis may have added it before it stopped answering: ' +
          `see \`meles status --run ${what.runId}\`, and if it is not there submit again with \`--run-id ${what.runId}\` ` +
          '(jobs already in Redis are never added twice)',
        error,
      );
    }
  } finally {
    // Our client is shared with the producer, so the producer's close leaves it open: disconnect
    // it first (at once, no QUIT round trip that a silent server would never answer).
    client.disconnect();
    if (producer) await Promise.race([producer.close().catch(() => {}), delay(1000)]);
  }
}

/** Runs `body`, rejecting with a `timeout` error after `ms` (the body is abandoned, not cancelled). */
async function within<T>(ms: number, body: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError()), ms);
  });
  try {
    return await Promise.race([body(), late]);
  } finally {
    clearTimeout(timer);
  }
}

class TimeoutError extends Error {}

/** The kind and a short reason for `error`. */
type Failure = [RedisFailureKind, string];

function failure(error: unknown, seconds: string, redis: RedisTarget): Failure {
  if (error instanceof TimeoutError || (error instanceof Error && /Command timed out/.test(error.message))) return ['timeout', `no answer within ${seconds}`];
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ECONNREFUSED') return ['refused', `connection refused (ECONNREFUSED ${redis.options.host ?? '127.0.0.1'}:${redis.options.port ?? 6379})`];
  const message = error instanceof Error ? error.message : String(error);
  const text = `${typeof code === 'string' && !message.includes(code) ? `${code}: ` : ''}${message.replace(/\.$/, '')}`;
  if (code === 'ECONNRESET' || code === 'EPIPE' || /Connection is closed|Stream isn't writeable/.test(message)) return ['closed', `the connection closed (${text})`];
  return ['error', text];
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms).unref());
}
