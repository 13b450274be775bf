/**
 * Shared setup for the Redis integration tests: a unique BullMQ prefix per test, cleanup with
 * `obliterate`, small transaction files, and `meles worker` child processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { Rng } from '../../data/random.js';
import { CONTROL_QUEUE, PARTITION_MANIFEST_QUEUE, PARTITION_QUEUE, SCHEDULE_QUEUE, STAGE_QUEUE } from '../../pipeline/queue/queues.js';
import { parseRedisUrl, redisUrlFrom, type RedisTarget } from '../../pipeline/queue/redis-url.js';

/** The Redis the tests use (REDIS_URL or 127.0.0.1:6379). */
export const redis: RedisTarget = parseRedisUrl(redisUrlFrom(undefined));

/** The repository root. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** A fresh BullMQ prefix, so parallel tests never see each other's jobs. */
export function uniquePrefix(): string {
  return `test-${randomUUID()}`;
}

/**
 * Removes every pipeline queue under `prefix`. Two passes: flows cross queues, and removing a
 * child in one queue can move its parent in an already-obliterated queue back to `wait`.
 */
export async function obliterateAll(prefix: string, target: RedisTarget = redis): Promise<void> {
  for (const name of [STAGE_QUEUE, CONTROL_QUEUE, SCHEDULE_QUEUE, PARTITION_QUEUE, PARTITION_MANIFEST_QUEUE, STAGE_QUEUE, CONTROL_QUEUE, PARTITION_MANIFEST_QUEUE]) {
    const queue = new Queue(name, { connection: target.options, prefix });
    queue.on('error', () => {});
    try {
      await queue.obliterate({ force: true });
    } catch {
      // A queue that was never created has nothing to remove.
    } finally {
      await queue.close().catch(() => {});
    }
  }
}

/** Writes a small transactions file: `client_id` (int32), `trans_date`, `small_group`, `amount_rur`. */
export async function writeTransactions(path: string, clients: number, eventsPerClient: number, seed = 1): Promise<void> {
  const rng = new Rng(seed);
  const n = clients * eventsPerClient;
  const ids = new Int32Array(n);
  const days = new Int32Array(n);
  const groups = new Int32Array(n);
  const amounts = new Float32Array(n);
  for (let c = 0, i = 0; c < clients; c++) {
    const bias = c % 4;
    for (let e = 0; e < eventsPerClient; e++, i++) {
      ids[i] = 1000 + c;
      days[i] = e + rng.int(0, 2);
      groups[i] = (bias * 3 + rng.int(0, 5)) % 12;
      amounts[i] = Math.round((10 + bias * 20 + rng.normal() * 5) * 100) / 100;
    }
  }
  await mkdir(dirname(path), { recursive: true });
  await writeArrowTable(path, tableFromColumns({ client_id: ids, trans_date: days, small_group: groups, amount_rur: amounts }));
}

/** The schema mapping matching {@link writeTransactions}. */
export const SCHEMA = { id: 'client_id', time: 'trans_date', categorical: ['small_group'], numeric: ['amount_rur'] };

/** Writes a pipeline file and returns its path. */
export async function writePipelineFile(path: string, pipeline: Record<string, unknown>): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(pipeline, null, 2));
  return path;
}

/** A `meles worker` child process (its own process group, so a test can kill it with its children). */
export interface WorkerProcess {
  /** The child. */
  readonly child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Resolves when it exits, with its exit code (or signal). */
  readonly exited: Promise<number | string>;
}

/** Starts `meles worker` and resolves once it reports ready. */
export async function startWorkerProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [join(REPO, 'bin/meles.mjs'), 'worker', ...args], {
    cwd: REPO,
    env: { ...process.env, MELES_QUIET: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | string>((done) => child.once('exit', (code, signal) => done(code ?? signal ?? -1)));
  await new Promise<void>((ready, fail) => {
    const timer = setInterval(() => {
      if (err.includes('meles worker: ready')) {
        clearInterval(timer);
        ready();
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(timer);
      fail(new Error(`worker exited (${code}) before it was ready:\n${err}`));
    });
  });
  return { child, stderr: () => err, exited };
}

/**
 * Stops workers as an operator would: SIGTERM, then SIGKILL of the whole process group for any worker
 * still running after `graceMs`. A worker stuck on a dead connection must not hang the test file.
 */
export async function stopWorkers(workers: readonly WorkerProcess[], graceMs = 15_000): Promise<void> {
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(
    workers.map(async (w) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
      const outcome = await Promise.race([w.exited, late]);
      clearTimeout(timer);
      if (outcome === 'late') {
        killWorkerGroup(w);
        await w.exited;
      }
    }),
  );
}

/** SIGKILLs a worker and every process in its group (its sandboxed children too), like a lost machine. */
export function killWorkerGroup(worker: WorkerProcess): void {
  try {
    process.kill(-worker.child.pid!, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Polls `check` every 100 ms until it returns a value other than `undefined`, or times out. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A private `redis-server` on a free port (never the shared one), persisted with AOF so it can restart. */
export interface PrivateRedis {
  /** Its port. */
  readonly port: number;
  /** Starts (or restarts) the server and waits until it answers. */
  start(): Promise<void>;
  /** Shuts it down (AOF flushed) and waits for the process to exit. */
  stop(): Promise<void>;
}

/** Creates (but does not start) a private Redis with `password`, storing its files in `dir`. */
export async function privateRedis(dir: string, password: string): Promise<PrivateRedis> {
  const { createServer, connect } = await import('node:net');
  const port = await new Promise<number>((done) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
  let proc: ChildProcess | undefined;
  const answers = () => new Promise<boolean>((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); done(true); });
    socket.once('error', () => done(false));
  });
  return {
    port,
    async start() {
      await mkdir(dir, { recursive: true });
      proc = spawn('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--requirepass', password, '--dir', dir,
        '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction',
      ], { stdio: 'ignore' });
      await waitFor('private redis to answer', async () => ((await answers()) ? true : undefined), 10_000);
    },
    async stop() {
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise((done) => proc!.once('exit', done));
      proc.kill('SIGTERM'); // redis-server shuts down cleanly on SIGTERM (fsyncs the AOF)
      await exited;
    },
  };
}
