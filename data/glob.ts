/**
 * A small file-name glob over node's fs (Node 20 has no `fs.glob`): `*` matches any run of
 * characters inside one path part, `?` one character, and a part that is exactly `**` matches
 * zero or more directories. Hidden entries (a name starting with `.`) are matched only by a
 * pattern part that itself starts with `.`, as in a shell, which also keeps half-written
 * `.tmp-*` files of atomic writers out of a dataset. Symbolic links to directories are not
 * followed by `**` (no cycles).
 */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';

/** True when `pattern` holds a glob character (`*` or `?`). */
export function hasGlobMagic(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

/**
 * The regular files matching `pattern`, sorted by path (code-unit order, so the same on every
 * machine). Relative patterns are resolved against the working directory and stay relative.
 * @returns an empty array when nothing matches (the caller words the error).
 */
export async function expandGlob(pattern: string): Promise<string[]> {
  const parts = pattern.split(/[\\/]+/);
  // An absolute pattern starts with an empty part ('/a/b' → ['', 'a', 'b']).
  const root = isAbsolute(pattern) ? `${parts.shift()}${sep}` : '.';
  const found = new Set<string>();
  await walk(root, parts.filter((p) => p !== '' && p !== '.'), found, root === '.');
  return [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function walk(dir: string, parts: readonly string[], found: Set<string>, relative: boolean): Promise<void> {
  const shown = (name: string): string => (relative && dir === '.' ? name : join(dir, name));
  if (parts.length === 0) {
    if (await isFile(dir)) found.add(dir);
    return;
  }
  const [head, ...rest] = parts as [string, ...string[]];
  if (!hasGlobMagic(head)) {
    // A literal part: no directory listing needed.
    const next = shown(head);
    if (rest.length === 0) {
      if (await isFile(next)) found.add(next);
    } else await walk(next, rest, found, relative);
    return;
  }
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  if (head === '**') {
    await walk(dir, rest, found, relative); // zero directories
    for (const entry of entries) {
      if (entry.isDirectory() && !entry.name.startsWith('.')) await walk(shown(entry.name), parts, found, relative);
    }
    return;
  }
  const regex = partRegex(head);
  for (const entry of entries) {
    if (!regex.test(entry.name)) continue;
    const next = shown(entry.name);
    if (rest.length === 0) {
      if (entry.isFile() || (entry.isSymbolicLink() && (await isFile(next)))) found.add(next);
    } else if (entry.isDirectory() || entry.isSymbolicLink()) await walk(next, rest, found, relative);
  }
}

/** The regular expression of one path part (`*.arrow` → `^(?!\.)[^/]*\.arrow$`). */
export function partRegex(part: string): RegExp {
  const body = part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*+/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(part.startsWith('.') ? `^${body}$` : `^(?!\\.)${body}$`);
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}
