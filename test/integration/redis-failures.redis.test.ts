/**
 * Redis down, refusing the password, or speaking the other TLS: every command that connects
 * exits 3 promptly with the server's reason (credentials redacted) instead of hanging, and a
 * worker gives up after bounded tries. A private redis-server with `--requirepass` on a free port
 * plays the refusing server; nothing here touches the shared Redis.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  REPO, SCHEMA, startWorkerProcess, uniquePrefix, writePipelineFile, type PrivateRedis, type WorkerProcess,
} from './helpers.js';
import { endPrivateRedisRun, startPrivateRedisRun } from './private-redis-run.js';
import { RedisUnavailableError, type RedisFailureKind } from '../../errors.js';
import { checkRedis } from '../../pipeline/queue/redis-check.js';
import { parseRedisUrl } from '../../pipeline/queue/redis-url.js';

const PASSWORD = 'right-pw-Kd93-never-shown';
const WRONG = 'wrong-pw-Xq71-never-shown';

interface Run {
  readonly code: number | string;
  readonly out: string;
  readonly err: string;
  readonly ms: number;
}

/** The test runner's environment without REDIS_URL: each case names its own Redis. */
const withoutRedisUrl = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'REDIS_URL'));

/** Runs `meles …` as a user would; kills it (and fails the assertion on its code) after `limitMs`. */
function meles(args: readonly string[], env: NodeJS.ProcessEnv = {}, limitMs = 90_000): Promise<Run> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(REPO, 'bin/meles.mjs'), ...args], {
      cwd: REPO,
      env: { ...withoutRedisUrl, MELES_QUIET: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      done({ code: code ?? signal ?? -1, out, err, ms: Date.now() - started });
    });
  });
}

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

describe('Redis unreachable or refusing: exit 3 with the reason, no hang, no output', () => {
  let root: string;
  let server: PrivateRedis;
  let downPort: number;
  let pipelineFile: string;
  /**
   * How long `meles --help` takes here. Loading the CLI on the busy 2-core machine takes 10-20 s and
   * varies by half, so CLI runs only have to finish well before a hang would (`slack`); the check's
   * own time is measured in-process (first test).
   */
  let startupMs: number;
  const slack = (extraMs: number): number => 2 * startupMs + extraMs;
  const prefix = uniquePrefix();
  const workers: WorkerProcess[] = [];

  before(async () => {
    ({ root, server } = await startPrivateRedisRun('meles-redis-fail-', PASSWORD));
    downPort = await freePort(); // nothing listens there
    pipelineFile = await writePipelineFile(join(root, 'data', 'p.json'), { name: 'fail', data: 'tx.arrow', schema: SCHEMA, out: '../out/pipe' });
    const help = await meles(['--help']);
    assert.equal(help.code, 0, help.err);
    startupMs = help.ms;
  });
  after(() => endPrivateRedisRun({ root, server }, PASSWORD, prefix, workers), { timeout: 60_000 });

  const noOutput = async (): Promise<void> => {
    assert.equal(await exists(join(root, 'out', 'pipe')), false, 'the pipeline output directory was created');
    assert.equal(await exists(join(root, 'sched-out')), false, 'the schedule output directory was created');
  };

  it('checkRedis: each failure is typed, redacted and reported within the timeout', { timeout: 60_000 }, async () => {
    const cases: [url: string, kind: RedisFailureKind, reason: RegExp, timeoutMs: number, maxMs: number][] = [
      [`redis://127.0.0.1:${downPort}`, 'refused', /connection refused \(ECONNREFUSED 127\.0\.0\.1:\d+\)/, 5000, 2000],
      [`redis://:${WRONG}@127.0.0.1:${server.port}`, 'auth', /the server refused the password \(WRONGPASS invalid username-password pair or user is disabled\)$/, 5000, 2000],
      [`redis://127.0.0.1:${server.port}`, 'auth', /requires a password and none was given \(NOAUTH/, 5000, 2000],
      [`rediss://:${PASSWORD}@localhost:${server.port}`, 'tls', /TLS.*use redis:\/\/ instead of rediss:\/\//, 1500, 3000],
      ['redis://no-such-host.invalid:6379', 'dns', /the host name did not resolve \((ENOTFOUND|EAI_AGAIN) no-such-host\.invalid\)/, 5000, 5500],
    ];
    for (const [url, kind, reason, timeoutMs, maxMs] of cases) {
      const target = parseRedisUrl(url);
      const started = Date.now();
      const error = await checkRedis(target, { timeoutMs }).then(() => undefined, (e: unknown) => e);
      const ms = Date.now() - started;
      assert.ok(error instanceof RedisUnavailableError, `${target.display}: expected RedisUnavailableError, got ${String(error)}`);
      assert.equal(error.kind, kind, error.message);
      assert.ok(error.message.startsWith(`Cannot use Redis at ${target.display}: `), error.message);
      assert.match(error.message, reason);
      assert.ok(!error.message.includes(WRONG) && !error.message.includes(PASSWORD), 'password leaked');
      assert.ok(ms < maxMs, `${target.display}: ${ms} ms`);
    }
    await checkRedis(parseRedisUrl(`redis://:${PASSWORD}@127.0.0.1:${server.port}`), { timeoutMs: 5000 });
  });

  it('Redis down: submit, status and schedule list exit 3 at once with "connection refused"', { timeout: 240_000 }, async () => {
    const url = `redis://127.0.0.1:${downPort}`;
    for (const args of [['pipeline', 'submit', pipelineFile], ['status'], ['schedule', 'list']]) {
      const run = await meles([...args, '--redis', url, '--prefix', prefix]);
      assert.equal(run.code, 3, `${args.join(' ')}: ${run.err}`);
      assert.match(run.err, new RegExp(`Cannot use Redis at redis://127\\.0\\.0\\.1:${downPort}: connection refused \\(ECONNREFUSED 127\\.0\\.0\\.1:${downPort}\\)`));
      assert.equal(run.err.trim().split('\n').length, 1, `one line, no stack: ${run.err}`);
      assert.ok(run.ms < slack(6000), `${args.join(' ')} took ${run.ms} ms (startup ${startupMs} ms)`);
    }
    await noOutput();
  });

  it('wrong password: exit 3 naming WRONGPASS, the password never shown', { timeout: 240_000 }, async () => {
    const env = { REDIS_URL: `redis://:${WRONG}@127.0.0.1:${server.port}` };
    const runs = [
      await meles(['pipeline', 'submit', pipelineFile, '--prefix', prefix], env),
      await meles(['status', '--prefix', prefix], env),
      await meles(['schedule', 'add', 'nightly', '--cron', '0 2 * * *', '--data', join(root, 'data', '*.arrow'), '--out', join(root, 'sched-out'), '--prefix', prefix], env),
      await meles(['schedule', 'remove', 'nightly', '--prefix', prefix], env),
    ];
    for (const run of runs) {
      assert.equal(run.code, 3, run.err);
      assert.match(run.err, new RegExp(`Cannot use Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${server.port}: the server refused the password \\(WRONGPASS`));
      assert.ok(!run.err.includes(WRONG) && !run.out.includes(WRONG), 'password leaked');
      assert.ok(run.ms < slack(6000), `took ${run.ms} ms (startup ${startupMs} ms)`);
    }
    // No password at all: NOAUTH, also exit 3.
    const none = await meles(['status', '--redis', `redis://127.0.0.1:${server.port}`, '--prefix', prefix]);
    assert.equal(none.code, 3, none.err);
    assert.match(none.err, /requires a password.*NOAUTH/);
    await noOutput();
  });

  it('rediss:// against plain Redis: exit 3 within the connect timeout, naming TLS', { timeout: 120_000 }, async () => {
    const run = await meles(['status', '--prefix', prefix], { REDIS_URL: `rediss://:${PASSWORD}@localhost:${server.port}`, MELES_REDIS_CONNECT_TIMEOUT: '2' });
    assert.equal(run.code, 3, run.err);
    assert.match(run.err, new RegExp(`Cannot use Redis at rediss://:\\*\\*\\*@localhost:${server.port}: .*TLS.*use redis://`));
    assert.ok(!run.err.includes(PASSWORD), 'password leaked');
    assert.ok(run.ms < slack(2000), `took ${run.ms} ms (startup ${startupMs} ms, timeout 2 s)`);
    // A bad timeout is bad input (2), not an unavailable Redis.
    const bad = await meles(['status', '--connect-timeout', 'soon', '--prefix', prefix], { REDIS_URL: `redis://127.0.0.1:${downPort}` });
    assert.equal(bad.code, 2, bad.err);
    assert.match(bad.err, /--connect-timeout.*`soon`/);
  });

  it('a worker with a wrong password exits 3 after its bounded tries, one line per try', { timeout: 120_000 }, async () => {
    const outRoot = join(root, 'worker-out');
    await mkdir(outRoot, { recursive: true });
    const run = await meles(
      ['worker', '--data-root', join(root, 'data'), '--out-root', outRoot, '--prefix', prefix, '--connect-retries', '2'],
      { REDIS_URL: `redis://:${WRONG}@127.0.0.1:${server.port}` },
      60_000,
    );
    assert.equal(run.code, 3, run.err);
    assert.ok(run.ms < slack(20_000), `took ${run.ms} ms (startup ${startupMs} ms)`);
    assert.equal((run.err.match(/WRONGPASS/g) ?? []).length, 3, `three tries, one line each:\n${run.err}`);
    assert.match(run.err, /try 1\/3: .*WRONGPASS.*again in 1 s/);
    assert.match(run.err, /try 2\/3: .*WRONGPASS.*again in 2 s/);
    assert.doesNotMatch(run.err, /meles worker: ready/);
    assert.ok(!run.err.includes(WRONG), 'password leaked');
    assert.deepEqual(await readdir(outRoot), []);
  });

  it('a running worker whose password is changed gives up (exit 3) instead of printing WRONGPASS forever', { timeout: 120_000 }, async () => {
    const outRoot = join(root, 'worker-out-2');
    await mkdir(outRoot, { recursive: true });
    const worker = await startWorkerProcess(
      ['--data-root', join(root, 'data'), '--out-root', outRoot, '--prefix', prefix, '--connect-retries', '1', '--connect-timeout', '2'],
      { REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${server.port}` },
    );
    workers.push(worker);
    const admin = new Redis({ host: '127.0.0.1', port: server.port, password: PASSWORD, lazyConnect: true });
    admin.on('error', () => {});
    const started = Date.now();
    try {
      await admin.connect();
      await admin.config('SET', 'requirepass', `${PASSWORD}-rotated`); // the default user's password
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal'); // the worker's connections reconnect with the old one
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    } finally {
      admin.disconnect();
    }
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([worker.exited, new Promise<'still running'>((done) => (timer = setTimeout(() => done('still running'), 45_000)))]);
    clearTimeout(timer);
    // Let after() and the next test use the server with the original password again.
    const rotated = new Redis({ host: '127.0.0.1', port: server.port, password: `${PASSWORD}-rotated`, lazyConnect: true });
    rotated.on('error', () => {});
    try {
      await rotated.connect();
      await rotated.config('SET', 'requirepass', PASSWORD);
    } finally {
      rotated.disconnect();
    }
    assert.equal(code, 3, worker.stderr());
    assert.ok(Date.now() - started < 40_000, `gave up after ${Date.now() - started} ms`);
    const err = worker.stderr();
    assert.match(err, /refused the credentials; checking again/);
    assert.match(err, /meles: Cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: the server refused the password \(WRONGPASS/);
    assert.ok((err.match(/WRONGPASS/g) ?? []).length <= 10, `WRONGPASS printed too often:\n${err}`);
    assert.ok(!err.includes(PASSWORD), 'password leaked');
    assert.deepEqual(await readdir(outRoot), []);
  });
});
