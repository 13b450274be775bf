/**
 * Test helper: runs the real `meles` command line (`cli/main.ts` through tsx) in a child process,
 * as a user would, and collects its exit code and output. It lives in the bottom room so the tests
 * of every room can use it: it reaches the CLI through a file path and a child process, not an
 * import, so the layer table holds.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

/** What one `meles` run ended with. */
export interface MelesRun {
  /** The exit code (null when a signal ended it). */
  readonly code: number | null;
  /** Everything it wrote to stdout. */
  readonly stdout: string;
  /** Everything it wrote to stderr. */
  readonly stderr: string;
}

/**
 * Runs `meles args…` in a child process and resolves when it closes. `MELES_QUIET=1` is set so
 * stderr holds the messages a test reads, not progress bars.
 */
export function meles(...args: string[]): Promise<MelesRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MELES_QUIET: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
