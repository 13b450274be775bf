import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, uniquePrefix, waitFor } from './helpers.js';

const PASSWORD = 'tls-pw-7Hq2-never-shown';

function run(cmd: string, args: string[], cwd: string): void {
  const result = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${result.stderr}`);
}

/** Runs `meles …` in a child process, as a user would, and returns its exit code and output. */
function meles(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(REPO, 'bin/meles.mjs'), ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => done({ code: code ?? -1, out, err }));
  });
}

describe('rediss:// with a password (private TLS redis-server, self-signed CA)', () => {
  let dir: string;
  let port: number;
  let server: ReturnType<typeof spawn> | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meles-tls-'));
    run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=meles-test-ca'], dir);
    run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
    await writeFile(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    run('openssl', ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf'], dir);
    port = await new Promise<number>((done) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => done(typeof address === 'object' && address ? address.port : 0));
      });
    });
    server = spawn('redis-server', [
      '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', 'server.pem', '--tls-key-file', 'server.key',
      '--tls-ca-cert-file', 'ca.pem', '--tls-auth-clients', 'no', '--requirepass', PASSWORD, '--save', '', '--appendonly', 'no', '--dir', dir,
    ], { cwd: dir, stdio: 'ignore' });
    await waitFor('TLS redis to listen', async () => new Promise<true | undefined>((done) => {
      const socket = createServer();
      socket.once('error', () => done(true)); // port taken: the server is listening
      socket.listen(port, '127.0.0.1', () => socket.close(() => done(undefined)));
    }), 10_000);
  });
  after(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((done) => server!.once('exit', done));
      server.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('schedules and status work over TLS with a password, which never appears in output', { timeout: 90_000 }, async () => {
    // The user-facing path: the URL in REDIS_URL, the private CA trusted through Node's standard variable.
    const env = { REDIS_URL: `rediss://:${PASSWORD}@localhost:${port}`, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'), MELES_QUIET: '1' };
    const prefix = uniquePrefix();
    const add = await meles(['schedule', 'add', 'tls-nightly', '--cron', '0 2 * * *', '--data', join(dir, '*.arrow'), '--out', join(dir, 'out'), '--registry', join(dir, 'reg'), '--prefix', prefix], env);
    assert.equal(add.code, 0, add.err);
    const list = await meles(['schedule', 'list', '--json', '--prefix', prefix], env);
    assert.equal(list.code, 0, list.err);
    assert.deepEqual((JSON.parse(list.out) as { name: string; cron: string }[]).map((s) => [s.name, s.cron]), [['tls-nightly', '0 2 * * *']]);
    const status = await meles(['status', '--prefix', prefix], env);
    assert.equal(status.code, 0, status.err);
    // No pipeline runs; the schedule is listed with its next run and no run yet (issue 13's status view).
    assert.match(status.out, /^no pipeline runs\nschedule tls-nightly {2}0 2 \* \* \* \(UTC\) {2}next \S+ {2}model latest\n {2}last run {6}none\n {2}last failure {2}none\n$/);
    const removed = await meles(['schedule', 'remove', 'tls-nightly', '--prefix', prefix], env);
    assert.equal(removed.code, 0, removed.err);
    // Without the CA the TLS handshake fails, and the error still hides the password.
    const untrusted = await meles(['status', '--prefix', prefix], { ...env, NODE_EXTRA_CA_CERTS: '' });
    assert.notEqual(untrusted.code, 0);
    assert.match(untrusted.err, /rediss:\/\/:\*\*\*@localhost/);
    for (const output of [add, list, status, removed, untrusted]) {
      assert.ok(!output.out.includes(PASSWORD) && !output.err.includes(PASSWORD), 'password leaked');
    }
  });
});
