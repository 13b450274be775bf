/**
 * Redis connection settings from a URL (`redis://` or `rediss://` for TLS, with optional user,
 * password and db), and redaction so a password never reaches logs, `meles status` or errors.
 */
import type { RedisOptions } from 'bullmq';
import { isIP } from 'node:net';
import { ConfigError, RedisUnavailableError } from '../../errors.js';

/** Where `--redis` falls back to when neither the flag nor `REDIS_URL` is given. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Parsed connection: options for BullMQ/ioredis plus a printable, password-free form. */
export interface RedisTarget {
  /** ioredis options (BullMQ builds its own clients from these). */
  readonly options: RedisOptions;
  /** The URL with the password replaced by `***`, safe to print. */
  readonly display: string;
}

/** The URL from `--redis`, else `REDIS_URL`, else {@link DEFAULT_REDIS_URL}. */
export function redisUrlFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.REDIS_URL ?? DEFAULT_REDIS_URL;
}

/** Parses a Redis URL; throws a {@link ConfigError} (with the password redacted) when it is invalid. */
export function parseRedisUrl(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`Expected a Redis URL like redis://host:6379 or rediss://:password@host:6380/0, got ${redactUrl(url)}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigError(`Expected a redis:// or rediss:// URL, got protocol \`${parsed.protocol}\` in ${redactUrl(url)}`);
  }
  const dbText = parsed.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new ConfigError(`Expected a database number after the host in ${redactUrl(url)}, got \`${dbText}\``);
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const options: RedisOptions = {
    host,
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    db,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    // TLS with the system CAs; servername makes SNI and certificate checks use the URL's host
    // (not for an IP address: SNI takes names only, and Node warns; the certificate is checked against the IP).
    ...(parsed.protocol === 'rediss:' ? { tls: isIP(host) ? {} : { servername: host } } : {}),
  };
  return { options, display: redactUrl(url) };
}

/** Replaces the password of every `scheme://user:password@` URL in `text` with `***` (any scheme: typos leak too). */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
}

/** Redacts URLs and every given secret (e.g. the password itself, which errors may quote bare). */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = redactUrl(text);
  for (const secret of secrets) if (secret && secret.length >= 3) out = out.split(secret).join('***');
  return out;
}

/** Anything that connects to Redis and can be force-disconnected (BullMQ queues and workers). */
export interface Connectable {
  /** Resolves once connected. */
  waitUntilReady(): Promise<unknown>;
  /** Closes the connection (BullMQ's `disconnect()` can hang while the server is down; `close()` does not). */
  close(): Promise<void>;
}

/**
 * Waits until every client is connected, or disconnects them all and throws a
 * `RedisUnavailableError` after `timeoutMs`: ioredis retries a down server forever, and a CLI
 * query should say so instead of hanging. (`checkRedis` in redis-check.ts says why, up front.)
 */
export async function connectWithin(clients: readonly Connectable[], target: RedisTarget, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((done) => {
    timer = setTimeout(() => done('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([Promise.all(clients.map((c) => c.waitUntilReady())), timeout]).finally(() => clearTimeout(timer));
  if (outcome === 'timeout') {
    const grace = () => new Promise<void>((done) => setTimeout(done, 2000).unref());
    await Promise.all(clients.map((c) => Promise.race([c.close().catch(() => {}), grace()])));
    throw new RedisUnavailableError(`Cannot use Redis at ${target.display}: no answer within ${Number((timeoutMs / 1000).toFixed(3))} s`, 'timeout');
  }
}
