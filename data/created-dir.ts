/**
 * Output directories a command creates for itself, and taking them back when the command wrote
 * nothing into them: a failed run leaves no empty output behind, and a directory that existed
 * before (even an empty one) is never removed.
 */
import { mkdir, rmdir } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';

/** What {@link createOutputDir} did: the directory, and the topmost directory it had to create. */
export interface CreatedDir {
  /** The directory asked for (absolute). */
  readonly dir: string;
  /** The first (topmost) directory created, or `undefined` when `dir` already existed. */
  readonly createdTop: string | undefined;
}

/** `mkdir -p dir`, remembering which directories this call created. */
export async function createOutputDir(dir: string): Promise<CreatedDir> {
  const absolute = resolve(dir);
  const createdTop = await mkdir(absolute, { recursive: true });
  return { dir: absolute, createdTop: createdTop === undefined ? undefined : resolve(createdTop) };
}

/**
 * Removes the directories {@link createOutputDir} created, deepest first, as long as each is
 * empty (`rmdir` refuses a directory with anything in it, so a part another job wrote meanwhile
 * stays). Never touches a directory that existed before. Errors are swallowed: this runs while
 * another error is on its way out.
 */
export async function removeCreatedIfEmpty(created: CreatedDir): Promise<void> {
  const top = created.createdTop;
  if (top === undefined) return;
  const rel = relative(top, created.dir);
  if (rel.startsWith(`..${sep}`) || rel === '..') return;
  let current = created.dir;
  for (;;) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
    if (current === top) return;
    current = dirname(current);
  }
}
