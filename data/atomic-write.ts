/**
 * Atomic output files: bytes go to `path + '.tmp-<pid>-<host>-<rand>'`, which is renamed over
 * `path` only after the write finished, so no reader ever sees partial output under the final name
 * and a failed write leaves nothing behind.
 *
 * A process killed with SIGKILL cannot remove its temp file, so the next write into the same
 * folder removes temp files whose writer is gone: the temp name records the writer's pid and a
 * tag of its host, and a pid that no longer exists on this host (`process.kill(pid, 0)` fails with
 * ESRCH) marks the file as stale. Temp files of other hosts (a folder shared over NFS) are left alone.
 */
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** Eight hex digits naming this host in temp names (hostnames may contain `-` and `.`). */
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** `<final>.tmp-<pid>-<host>-<rand>` (current) or `<final>.tmp-<pid>-<rand>` (written before the host tag). */
const TEMP_NAME = /\.tmp-(\d+)-(?:([0-9a-f]{8})-)?[0-9a-f]{8}$/;

/** Temp files without a host tag are removed only when older than this, since their host is unknown. */
const UNTAGGED_STALE_MS = 60 * 60 * 1000;

/** Folders already swept by this process (one sweep per folder is enough: our own temps are never stale). */
const swept = new Set<string>();

/** Errno codes that mean "this output cannot be written here", reported with the final path. */
const WRITE_FAILURES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'the folder does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'the path is a folder',
  EIO: 'input/output error',
};

/** A temp path beside `path` (same directory, so the final rename is atomic on one filesystem). */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${HOST_TAG}-${randomBytes(4).toString('hex')}`;
}

/**
 * Runs `write(tmp)` and renames `tmp` to `path` when it succeeds; removes `tmp` when it fails.
 * Use for every output file. Before the first write into a folder, stale temp files of dead
 * writers there are removed ({@link removeStaleTempFiles}).
 * @throws Error naming `path` (not the temp name) when the file system refuses the write
 *   (ENOSPC, EACCES, ENOENT, …), with the original error as `cause`; other errors unchanged.
 */
export async function writeAtomically(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  await removeStaleTempFiles(dirname(path)).catch(() => undefined); // housekeeping must never fail a write
  const tmp = tempPathFor(path);
  try {
    await write(tmp);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw describeWriteFailure(error, path, tmp);
  }
}

/**
 * Removes `*.tmp-<pid>-…` files in `dir` whose writer process no longer exists on this host,
 * once per folder and process.
 * @returns the names removed.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  if (swept.has(dir)) return [];
  swept.add(dir);
  const removed: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return removed; // a missing folder has nothing stale; the write itself reports it
  }
  for (const entry of entries) {
    const match = TEMP_NAME.exec(entry.name);
    if (!entry.isFile() || match === null) continue;
    const pid = Number(match[1]);
    const host = match[2];
    if (host !== undefined && host !== HOST_TAG) continue;
    if (isAlive(pid)) continue;
    const path = join(dir, entry.name);
    if (host === undefined) {
      const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age < UNTAGGED_STALE_MS) continue;
    }
    await rm(path, { force: true });
    removed.push(entry.name);
  }
  return removed;
}

/** Forgets which folders were swept (tests that create stale files after a first write). */
export function resetStaleTempSweep(): void {
  swept.clear();
}

/** True unless `pid` certainly does not exist (ESRCH); EPERM means it exists under another user. */
function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** A file-system error of the write, reworded to name the final path; anything else unchanged. */
function describeWriteFailure(error: unknown, path: string, tmp: string): unknown {
  const errno = error as NodeJS.ErrnoException;
  const code = typeof errno?.code === 'string' ? errno.code : undefined;
  if (code === undefined || WRITE_FAILURES[code] === undefined) return error;
  // ENOENT/EACCES of some other path (an input the callback reads) are not about this output.
  const aboutOutput = errno.path === undefined || errno.path === tmp || errno.path === path || errno.path === dirname(path);
  if (!aboutOutput && !['ENOSPC', 'EDQUOT', 'EROFS', 'EIO'].includes(code)) return error;
  return new Error(`cannot write ${path}: ${WRITE_FAILURES[code]} (${code}) in ${dirname(path) || '.'} (temp file ${basename(tmp)} removed)`, { cause: error });
}
