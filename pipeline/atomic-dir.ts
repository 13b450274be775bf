/**
 * All-or-nothing stage outputs: a stage writes into a hidden temp directory beside its final
 * directory, and only a finished stage is renamed into place. A crash or an error leaves at most a
 * `.tmp-*` directory, which readers and hashes ignore and the next run removes.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Creates an empty temp directory beside `finalDir` (same filesystem, so rename is atomic). */
export async function createTempDir(finalDir: string): Promise<string> {
  const parent = dirname(finalDir);
  await mkdir(parent, { recursive: true });
  const temp = join(parent, `.tmp-${basename(finalDir)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(temp);
  return temp;
}

/**
 * Moves `tempDir` to `finalDir`, replacing an older `finalDir` if there is one. The old directory
 * is first renamed aside, so `finalDir` is at every moment either the old or the new complete output.
 */
export async function commitDir(tempDir: string, finalDir: string): Promise<void> {
  const aside = `${tempDir}-old`;
  let movedAside = false;
  try {
    await rename(finalDir, aside);
    movedAside = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await rename(tempDir, finalDir);
  if (movedAside) await rm(aside, { recursive: true, force: true });
}

/** Removes stale `.tmp-<name>-*` directories left by crashed runs of the stage writing `finalDir`. */
export async function removeStaleTemps(finalDir: string): Promise<void> {
  const parent = dirname(finalDir);
  const prefix = `.tmp-${basename(finalDir)}-`;
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return;
  }
  for (const name of names) {
    // Only temps of dead processes: a live worker on this machine may still be writing its own.
    if (name.startsWith(prefix) && !isLiveProcess(pidOf(name.slice(prefix.length)))) {
      await rm(join(parent, name), { recursive: true, force: true });
    }
  }
}

function pidOf(rest: string): number {
  return Number.parseInt(rest.split('-')[0] ?? '', 10);
}

function isLiveProcess(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
