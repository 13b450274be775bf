/**
 * Workers trust nothing they read from Redis: every path in a job payload must resolve inside the
 * directories the worker was started with (`--data-root` for inputs, `--out-root` for outputs).
 * Both the lexical path and the real path (symlinks resolved) are checked.
 */
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../../errors.js';

/** The directories a worker may touch. */
export interface WorkerRoots {
  /** Inputs (transactions, targets) must be under this directory. */
  readonly dataRoot: string;
  /** Outputs (stage directories, models, embeddings) must be under this directory; it may also be read. */
  readonly outRoot: string;
}

/** Whether a path is read (inputs may come from either root) or written (only under the out root). */
export type PathAccess = 'read' | 'write';

/**
 * Resolves `path` (relative paths against the matching root) and returns it when it stays inside
 * an allowed root; otherwise throws a {@link ConfigError} naming the field, the path and the roots.
 */
export async function confinePath(field: string, path: string, access: PathAccess, roots: WorkerRoots): Promise<string> {
  const allowed = access === 'write' ? [roots.outRoot] : [roots.dataRoot, roots.outRoot];
  const absolute = isAbsolute(path) ? resolve(path) : resolve(allowed[0]!, path);
  const realAllowed = await Promise.all(allowed.map((root) => realOrSelf(resolve(root))));
  const real = await realOfNearestExisting(absolute);
  const inside = allowed.some((root, i) => isInside(resolve(root), absolute) && isInside(realAllowed[i]!, real));
  if (!inside) {
    const names = access === 'write' ? `--out-root ${roots.outRoot}` : `--data-root ${roots.dataRoot} or --out-root ${roots.outRoot}`;
    throw new ConfigError(`Refusing \`${field}\` path ${JSON.stringify(path)}: it resolves outside ${names}`);
  }
  return absolute;
}

/**
 * `path` relative to `root` (forward slashes), for payloads that travel between hosts that mount
 * the root at different places. Compared lexically first, then by real paths (a pipeline file
 * reached through a symlink). Globs keep their pattern characters.
 * @throws ConfigError naming the field, the path and the root flag when `path` is outside `root`.
 */
export async function rootRelative(field: string, path: string, root: string, flag: string): Promise<string> {
  const absolute = resolve(path);
  const base = resolve(root);
  let inside = isInside(base, absolute) ? relative(base, absolute) : undefined;
  if (inside === undefined) {
    const [realBase, realPath] = await Promise.all([realOrSelf(base), realOfNearestExisting(absolute)]);
    if (isInside(realBase, realPath)) inside = relative(realBase, realPath);
  }
  if (inside === undefined) throw new ConfigError(`Refusing \`${field}\` path ${JSON.stringify(path)}: expected it under ${flag} ${root} so workers can find it under their own root`);
  return inside === '' ? '.' : inside.split(sep).join('/');
}

/** True when `child` equals `root` or lies below it. */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

async function realOrSelf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

/** The real path of the deepest existing ancestor, with the missing tail appended (outputs may not exist yet). */
async function realOfNearestExisting(path: string): Promise<string> {
  let current = path;
  const tail: string[] = [];
  for (;;) {
    try {
      const real = await realpath(current);
      return tail.length === 0 ? real : resolve(real, ...tail.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      tail.push(current.slice(parent.length).replace(/^[\\/]/, ''));
      current = parent;
    }
  }
}
