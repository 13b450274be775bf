/**
 * Helpers of the hostile-input tests: run the real CLI in a child process (with a deadline, so a
 * hang fails the test instead of stalling the suite), damage bytes of a copy of a file, and hash
 * files to prove the inputs were not changed.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

/** What a CLI run ended with; `timedOut` when it had to be killed at the deadline. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly seconds: number;
}

/**
 * Runs `meles args…` in a child process; SIGKILLs it after `timeoutMs`.
 * @param timeoutMs - @defaultValue `60000` (tsx start-up alone takes seconds on a busy machine)
 */
export function meles(args: readonly string[], timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** Copies `source` to `target` and overwrites `bytes` at `offset` (negative: from the end). */
export async function damagedCopy(source: string, target: string, offset: number, bytes: readonly number[]): Promise<string> {
  await copyFile(source, target);
  const data = await readFile(target);
  const at = offset < 0 ? data.length + offset : offset;
  data.set(bytes, at);
  await writeFile(target, data);
  return target;
}

/** sha256 of each file, to compare before and after a run. */
export async function hashes(...paths: string[]): Promise<string[]> {
  return Promise.all(paths.map(async (p) => createHash('sha256').update(await readFile(p)).digest('hex')));
}

/** Rejects with `Error('timed out after …')` when `promise` takes longer than `ms`. */
export async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
