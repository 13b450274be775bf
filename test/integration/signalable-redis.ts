/**
 * A private `redis-server` (never the shared one) on a free port that a test can signal: SIGSTOP
 * it so connections hang (the kernel still accepts them, nothing answers), SIGCONT it, or kill it.
 * No persistence: killing it loses everything, and `stop()` removes every key with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { waitFor } from './helpers.js';

/** A running private server. */
export interface SignalableRedis {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Sends `signal` to the server process (SIGSTOP, SIGCONT). */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILLs it and waits until the process is gone (nothing listens on the port any more). */
  kill(): Promise<void>;
  /** Continues it if stopped, ends it and waits for the process to exit; idempotent. */
  stop(): Promise<void>;
}

/** Starts a server requiring `password` (its working files in `dir`) and waits until it accepts connections. */
export async function startSignalableRedis(dir: string, password: string): Promise<SignalableRedis> {
  await mkdir(dir, { recursive: true });
  const port = await new Promise<number>((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
  const proc: ChildProcess = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--requirepass', password, '--dir', dir, '--save', '', '--appendonly', 'no',
  ], { stdio: 'ignore' });
  const exited = new Promise<void>((done) => proc.once('exit', () => done()));
  const answers = () => new Promise<boolean>((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); done(true); });
    socket.once('error', () => done(false));
  });
  await waitFor('the private redis-server to accept connections', async () => ((await answers()) ? true : undefined), 10_000);
  const gone = () => proc.exitCode !== null || proc.signalCode !== null;
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (gone()) return;
    proc.kill('SIGCONT');
    proc.kill(signal);
    await exited;
  };
  return {
    port,
    signal(signal) {
      if (!gone()) proc.kill(signal);
    },
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  };
}
