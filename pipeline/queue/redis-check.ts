/**
 * One connection check before BullMQ gets a connection. BullMQ's clients retry a down server,
 * a refused password or a TLS mismatch forever, so a CLI command would hang and a worker would
 * print WRONGPASS forever. `checkRedis` connects once with a bounded timeout, sends PING and turns
 * the outcome into a {@link RedisUnavailableError} carrying the server's own reason (redacted).
 */
import { Redis } from 'ioredis';
import { ConfigError, RedisUnavailableError, type RedisFailureKind } from '../../errors.js';
import { parseRedisUrl, redact, redisUrlFrom, type RedisTarget } from './redis-url.js';

/** Connect timeout when neither `--connect-timeout` nor `MELES_REDIS_CONNECT_TIMEOUT` is given, in seconds. */
export const DEFAULT_CONNECT_TIMEOUT_S = 5;

/** The environment variable `--connect-timeout` falls back to. */
export const CONNECT_TIMEOUT_ENV = 'MELES_REDIS_CONNECT_TIMEOUT';

/** Options of {@link checkRedis}. */
export interface RedisCheckOptions {
  /** How long the connection (TCP, TLS, AUTH, ready check) and the PING answer may take, in ms. Minimum: `1`. @defaultValue `5000` */
  readonly timeoutMs?: number;
}

/** Options of {@link checkRedisWithRetries}. */
export interface RedisRetryOptions extends RedisCheckOptions {
  /** Further tries after the first failed one. Minimum: `0`. @defaultValue `3` */
  readonly retries?: number;
  /** Wait before the first retry, doubled before each further one, in ms. @defaultValue `1000` */
  readonly backoffMs?: number;
  /** Called after each failed try that will be retried (the message is already redacted). @defaultValue nothing */
  readonly onRetry?: (error: RedisUnavailableError, attempt: number, tries: number, waitMs: number) => void;
}

/** A checked connection: the target and the timeout to use for it afterwards. */
export interface CheckedRedis {
  /** Parsed, reachable Redis. */
  readonly redis: RedisTarget;
  /** The connect timeout in ms (from the flag, the environment or the default). */
  readonly timeoutMs: number;
}

/**
 * The connect timeout in ms from `--connect-timeout` (seconds), else `MELES_REDIS_CONNECT_TIMEOUT`,
 * else {@link DEFAULT_CONNECT_TIMEOUT_S}. Throws a {@link ConfigError} for anything but a positive number.
 */
export function connectTimeoutFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const [source, text] = flag !== undefined ? ['--connect-timeout', flag] : [CONNECT_TIMEOUT_ENV, env[CONNECT_TIMEOUT_ENV]];
  if (text === undefined || text === '') return DEFAULT_CONNECT_TIMEOUT_S * 1000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new ConfigError(`Expected ${source} to be a number of seconds in (0, 3600], got \`${text}\``);
  }
  return Math.max(1, Math.round(seconds * 1000));
}

/**
 * Parses `--redis` (or `REDIS_URL`) and `--connect-timeout` (or `MELES_REDIS_CONNECT_TIMEOUT`) and
 * checks once that Redis answers; what CLI commands call before they hand the connection to BullMQ.
 */
export async function checkedRedisFrom(flags: { readonly redis?: string; readonly connectTimeout?: string }, env: NodeJS.ProcessEnv = process.env): Promise<CheckedRedis> {
  const redis = parseRedisUrl(redisUrlFrom(flags.redis, env));
  const timeoutMs = connectTimeoutFrom(flags.connectTimeout, env);
  await checkRedis(redis, { timeoutMs });
  return { redis, timeoutMs };
}

/** Connects once, sends PING and disconnects; throws a {@link RedisUnavailableError} saying why Redis cannot be used. */
export async function checkRedis(target: RedisTarget, options: RedisCheckOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_S * 1000;
  const client = new Redis({
    ...target.options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null, // one try; retries are the caller's choice
    reconnectOnError: null,
  });
  // The first socket or reply error is the server's reason; what connect() rejects with is often
  // only "Connection is closed.".
  let reason: Error | undefined;
  client.on('error', (error: Error) => {
    reason ??= error;
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'timeout'>((done) => {
    timer = setTimeout(() => done('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([
      (async () => {
        await client.connect();
        await client.ping();
        return 'ok' as const;
      })().catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
      late,
    ]);
    if (outcome === 'ok') return;
    throw unavailable(target, outcome === 'timeout' ? reason : reason ?? outcome, timeoutMs, [target.options.password]);
  } finally {
    clearTimeout(timer);
    try {
      client.disconnect();
    } catch {
      // Already disconnected.
    }
  }
}

/**
 * {@link checkRedis} up to `1 + retries` times with exponential backoff; throws the last try's
 * error. For long-running processes (workers) that should wait out a Redis that is starting, but
 * not forever.
 */
export async function checkRedisWithRetries(target: RedisTarget, options: RedisRetryOptions = {}): Promise<void> {
  const tries = 1 + (options.retries ?? 3);
  let waitMs = options.backoffMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      await checkRedis(target, options);
      return;
    } catch (error) {
      if (!(error instanceof RedisUnavailableError) || attempt >= tries) throw error;
      options.onRetry?.(error, attempt, tries, waitMs);
      await new Promise((done) => setTimeout(done, waitMs));
      waitMs *= 2;
    }
  }
}

/** True for an error Redis sends when it refuses the credentials (WRONGPASS) or wants some (NOAUTH). */
export function isRedisAuthError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /^(?:ReplyError: )?(WRONGPASS|NOAUTH)\b/.test(message) || /\b(WRONGPASS|NOAUTH) /.test(message);
}

const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|CERT_|HOSTNAME_MISMATCH)/;

/** The {@link RedisUnavailableError} for `cause` (undefined: no error at all, only silence). */
function unavailable(target: RedisTarget, cause: Error | undefined, timeoutMs: number, secrets: readonly (string | undefined)[]): RedisUnavailableError {
  const [kind, reason] = explain(target, cause, timeoutMs);
  return new RedisUnavailableError(redact(`Cannot use Redis at ${target.display}: ${reason}`, secrets), kind, cause ? { cause: redactCause(cause, secrets) } : undefined);
}

function explain(target: RedisTarget, cause: Error | undefined, timeoutMs: number): [RedisFailureKind, string] {
  const seconds = `${Number((timeoutMs / 1000).toFixed(3))} s`;
  const tls = target.options.tls !== undefined;
  const host = `${target.options.host ?? '127.0.0.1'}:${target.options.port ?? 6379}`;
  if (!cause) {
    return tls
      ? ['tls', `no TLS handshake or answer within ${seconds}; if the server is plain Redis, use redis:// instead of rediss://`]
      : ['timeout', `no answer within ${seconds}`];
  }
  const code = (cause as Error & { code?: unknown }).code;
  const text = cause.message.replace(/\.$/, '');
  const server = /^[A-Z]+ /.test(cause.message) && cause.name === 'ReplyError';
  if (server && /^WRONGPASS\b/.test(text)) return ['auth', `the server refused the password (${text})`];
  // Redis 7's NOAUTH goes on to explain HELLO AUTH; the first clause is the reason.
  if (server && /^NOAUTH\b/.test(text)) return ['auth', `the server requires a password and none was given (${text.split(', otherwise')[0]})`];
  if (code === 'ECONNREFUSED') return ['refused', `connection refused (ECONNREFUSED ${host}); is Redis running there?`];
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return ['dns', `the host name did not resolve (${code} ${target.options.host})`];
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return ['unreachable', `the host is unreachable (${code} ${host})`];
  if (typeof code === 'string' && TLS_CODE.test(code)) {
    const hint = /SELF_SIGNED|UNABLE_TO/.test(code) ? '; trust a private CA with NODE_EXTRA_CA_CERTS=ca.pem' : '';
    return ['tls', `the TLS handshake failed (${code}: ${text})${hint}`];
  }
  if (code === 'ETIMEDOUT') {
    return tls
      ? ['tls', `no TLS handshake within ${seconds} (${text}); if the server is plain Redis, use redis:// instead of rediss://`]
      : ['timeout', `no answer within ${seconds} (${text})`];
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || /Connection is closed/.test(text)) {
    return tls
      ? ['tls', `the connection closed during the TLS handshake (${text}); if the server is plain Redis, use redis:// instead of rediss://`]
      : ['closed', `the server closed the connection without answering (${text}); if it only accepts TLS, use rediss://`];
  }
  if (/SSL|TLS|certificate/i.test(text)) return ['tls', `the TLS handshake failed (${text})`];
  if (server) return ['error', `the server answered with an error (${text})`];
  return ['error', `${typeof code === 'string' ? `${code}: ` : ''}${text}`];
}

function redactCause(cause: Error, secrets: readonly (string | undefined)[]): Error {
  cause.message = redact(cause.message, secrets);
  if (cause.stack) cause.stack = redact(cause.stack, secrets);
  return cause;
}
