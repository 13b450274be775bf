/**
 * Set-up and clean-up shared by the test files that run against their own password-protected
 * `redis-server` (never the shared one): a scratch directory holding the server's files, and,
 * afterwards, the workers stopped, the BullMQ keys removed, the server shut down and the directory
 * deleted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRedisUrl } from '../../pipeline/queue/redis-url.js';
import { obliterateAll, privateRedis, stopWorkers, type PrivateRedis, type WorkerProcess } from './helpers.js';

/** A scratch directory and the private Redis started in it. */
export interface PrivateRedisRun {
  /** The scratch directory (the server's files are in `redis/` below it). */
  readonly root: string;
  /** The running server. */
  readonly server: PrivateRedis;
}

/** Makes a scratch directory named `name…` in the system temp folder and starts a Redis there requiring `password`. */
export async function startPrivateRedisRun(name: string, password: string): Promise<PrivateRedisRun> {
  const root = await mkdtemp(join(tmpdir(), name));
  const server = await privateRedis(join(root, 'redis'), password);
  await server.start();
  return { root, server };
}

/**
 * Stops `workers`, removes the queues under `prefix` (a server already down is no error: there is
 * nothing left to remove), shuts the server down and deletes the scratch directory.
 */
export async function endPrivateRedisRun(run: PrivateRedisRun, password: string, prefix: string, workers: readonly WorkerProcess[]): Promise<void> {
  await stopWorkers(workers);
  await obliterateAll(prefix, parseRedisUrl(`redis://:${password}@127.0.0.1:${run.server.port}`)).catch(() => {});
  await run.server.stop();
  await rm(run.root, { recursive: true, force: true });
}
