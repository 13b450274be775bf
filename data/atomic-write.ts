/**
 * Atomic output files: bytes go to `path + '.tmp-<pid>-<rand>'`, which is renamed over `path`
 * only after the write finished, so no reader ever sees partial output under the final name
 * and a failed write leaves nothing behind.
 */
import { rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';

/** A temp path beside `path` (same directory, so the final rename is atomic on one filesystem). */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Runs `write(tmp)` and renames `tmp` to `path` when it succeeds; removes `tmp` when it fails.
 * Use for every output file.
 */
export async function writeAtomically(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await write(tmp);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
