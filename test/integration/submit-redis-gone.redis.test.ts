/**
 * `meles pipeline submit` from cron when Redis goes away between the command's connection check
 * and the add: the submit ends within its bound with a `RedisUnavailableError` naming the (redacted)
 * address and the run, and Redis never holds part of a run, nor the same run twice after a
 * resubmit with the same run id. A private `redis-server` on a free port plays the server that is
 * stopped (SIGSTOP: the kernel still accepts connections, nothing answers), stops answering writes
 * in the middle of the add (`CLIENT PAUSE … WRITE`) or is killed; the shared Redis is never touched.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisUnavailableError } from '../../errors.js';
import { readPipelineFile, type PipelineConfig } from '../../pipeline/pipeline-config.js';
import { CONTROL_QUEUE, STAGE_QUEUE } from '../../pipeline/queue/queues.js';
import { checkRedis } from '../../pipeline/queue/redis-check.js';
import { parseRedisUrl, type RedisTarget } from '../../pipeline/queue/redis-url.js';
import { submitPipeline } from '../../pipeline/queue/submit.js';
import { REPO, SCHEMA, uniquePrefix, writePipelineFile } from './helpers.js';
import { startSignalableRedis, type SignalableRedis } from './signalable-redis.js';

const PASSWORD = 'gone-pw-Zr58-never-shown';
/** The submit's bound in these tests; it may take about twice this (connect, then add). */
const TIMEOUT_MS = 1000;
/** What a loaded 2-core machine may add to the bound (a hang would take forever). */
const SLACK_MS = 3000;
/** ingest, features, train, embed: a pipeline without targets. */
const STAGES = 4;

describe('submit when Redis goes away after the connection check', () => {
  let root: string;
  let server: SignalableRedis;
  let redis: RedisTarget;
  let config: PipelineConfig;
  let pipelineFile: string;
  const prefix = uniquePrefix();

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'meles-submit-gone-'));
    server = await startSignalableRedis(join(root, 'redis'), PASSWORD);
    redis = parseRedisUrl(`redis://:${PASSWORD}@127.0.0.1:${server.port}`);
    pipelineFile = await writePipelineFile(join(root, 'data', 'p.json'), { name: 'gone', data: 'tx.arrow', schema: SCHEMA, out: '../out/gone' });
    config = await readPipelineFile(pipelineFile);
  });
  after(async () => {
    await server.stop(); // the whole server (and every key of the prefix) goes with it
    await rm(root, { recursive: true, force: true });
  }, { timeout: 30_000 });

  /** Jobs of `prefix` in any state, over the queues a pipeline uses, and how many hashes each run id has. */
  const jobsInRedis = async (): Promise<number> => {
    let total = 0;
    for (const name of [STAGE_QUEUE, CONTROL_QUEUE]) {
      const queue = new Queue(name, { connection: redis.options, prefix });
      queue.on('error', () => {});
      try {
        const counts = await queue.getJobCounts();
        total += Object.values(counts).reduce((a, b) => a + b, 0);
      } finally {
        await queue.close();
      }
    }
    return total;
  };

  /** Submits and returns the error it fails with and how long it took. */
  const failingSubmit = async (runId: string): Promise<{ error: RedisUnavailableError; ms: number }> => {
    const started = Date.now();
    const error = await submitPipeline(config, { redis, prefix, runId, timeoutMs: TIMEOUT_MS }).then(
      () => assert.fail('the submit succeeded'),
      (e: unknown) => e,
    );
    const ms = Date.now() - started;
    assert.ok(error instanceof RedisUnavailableError, `expected RedisUnavailableError, got ${String(error)}`);
    assert.ok(error.message.startsWith(`Cannot use Redis at redis://:***@127.0.0.1:${server.port}: `), error.message);
    assert.ok(!error.message.includes(PASSWORD) && !String(error.stack).includes(PASSWORD), 'password leaked');
    return { error, ms };
  };

  it('Redis stopped (SIGSTOP): fails within the bound saying nothing was submitted; nothing is in Redis; the same run id submits once it answers', { timeout: 20_000 }, async () => {
    await checkRedis(redis, { timeoutMs: 5000 }); // what the command checked first
    server.signal('SIGSTOP');
    let failed: { error: RedisUnavailableError; ms: number };
    try {
      failed = await failingSubmit('gone-stopped');
    } finally {
      server.signal('SIGCONT');
    }
    assert.equal(failed.error.kind, 'timeout', failed.error.message);
    assert.match(failed.error.message, /: no answer within 1 s while connecting; nothing of run gone-stopped was submitted$/);
    assert.ok(failed.ms < 2 * TIMEOUT_MS + SLACK_MS, `took ${failed.ms} ms`);
    assert.equal(await jobsInRedis(), 0);
    const { jobIds } = await submitPipeline(config, { redis, prefix, runId: 'gone-stopped', timeoutMs: 5000 });
    assert.equal(jobIds.length, STAGES);
    assert.equal(await jobsInRedis(), STAGES);
  });

  it('Redis stops answering in the middle of the add (CLIENT PAUSE WRITE): fails within the bound naming the run and its jobs; Redis has all of the run or none, and resubmitting the run id never duplicates it', { timeout: 20_000 }, async () => {
    const before = await jobsInRedis();
    const admin = new Redis({ ...redis.options, lazyConnect: true });
    admin.on('error', () => {});
    await admin.connect();
    try {
      // Reads (the connection's ready check, BullMQ's version check) still answer; the add waits.
      await admin.call('CLIENT', 'PAUSE', '15000', 'WRITE');
      let failed: { error: RedisUnavailableError; ms: number };
      try {
        failed = await failingSubmit('gone-paused');
      } finally {
        await admin.call('CLIENT', 'UNPAUSE');
      }
      assert.equal(failed.error.kind, 'timeout', failed.error.message);
      assert.match(failed.error.message, /: no answer within 1 s while adding run gone-paused \(4 jobs: gone-paused-ingest, gone-paused-features, gone-paused-train, gone-paused-embed\)\. /);
      assert.match(failed.error.message, /see `meles status --run gone-paused`, and if it is not there submit again with `--run-id gone-paused`/);
      assert.ok(failed.ms < 2 * TIMEOUT_MS + SLACK_MS, `took ${failed.ms} ms`);
      const added = (await jobsInRedis()) - before;
      assert.ok(added === 0 || added === STAGES, `Redis holds ${added} of the run's ${STAGES} jobs`);
      // As the message says: submit again with the run id, twice even; each job is there once.
      for (let i = 0; i < 2; i++) await submitPipeline(config, { redis, prefix, runId: 'gone-paused', timeoutMs: 5000 });
      assert.equal((await jobsInRedis()) - before, STAGES);
    } finally {
      admin.disconnect();
    }
  });

  it('the CLI, as cron runs it: its PING check passes, the add gets no answer; exit 3 with one line naming the address and the run, nothing on stdout', { timeout: 60_000 }, async () => {
    const admin = new Redis({ ...redis.options, lazyConnect: true });
    admin.on('error', () => {});
    await admin.connect();
    const before = await jobsInRedis();
    try {
      await admin.call('CLIENT', 'PAUSE', '50000', 'WRITE'); // PING is no write: the check passes
      const started = Date.now();
      const run = await new Promise<{ code: number | string; out: string; err: string }>((done) => {
        const child = spawn(process.execPath, [join(REPO, 'bin/meles.mjs'), 'pipeline', 'submit', pipelineFile, '--redis', `redis://:${PASSWORD}@127.0.0.1:${server.port}`, '--prefix', prefix, '--run-id', 'gone-cli'], {
          cwd: REPO,
          env: { ...process.env, MELES_QUIET: '1', MELES_REDIS_CONNECT_TIMEOUT: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (err += c.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 50_000); // a hang fails below, it does not hang the suite
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          done({ code: code ?? signal ?? -1, out, err });
        });
      });
      const ms = Date.now() - started;
      assert.equal(run.code, 3, run.err);
      assert.equal(run.out, '');
      assert.equal(run.err.trim().split('\n').length, 1, `one line, no stack: ${run.err}`);
      assert.match(run.err, new RegExp(`Cannot use Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${server.port}: no answer within 1 s while adding run gone-cli \\(4 jobs: `));
      assert.ok(!run.err.includes(PASSWORD), 'password leaked');
      assert.ok(ms < 45_000, `took ${ms} ms`);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
      admin.disconnect();
    }
    const added = (await jobsInRedis()) - before;
    assert.ok(added === 0 || added === STAGES, `Redis holds ${added} of the run's ${STAGES} jobs`);
  });

  it('Redis killed: fails at once with "connection refused" naming the address; the process is left with no open handle', { timeout: 20_000 }, async () => {
    await checkRedis(redis, { timeoutMs: 5000 });
    await server.kill();
    const handles = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const failed = await failingSubmit('gone-killed');
    assert.equal(failed.error.kind, 'refused', failed.error.message);
    assert.match(failed.error.message, new RegExp(`: connection refused \\(ECONNREFUSED 127\\.0\\.0\\.1:${server.port}\\) while connecting; nothing of run gone-killed was submitted$`));
    assert.ok(failed.ms < SLACK_MS, `took ${failed.ms} ms`);
    // No client left reconnecting: it would keep a cron job's process alive.
    await new Promise((done) => setImmediate(done));
    const left = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    assert.ok(left <= handles, `${left - handles} more sockets open than before the submit`);
  });
});
