/**
 * Content hashes for stage manifests. Files are hashed by streaming their bytes; a directory is
 * hashed over its sorted relative paths and file hashes, so renaming or editing any part changes it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { DataFormatError } from '../errors.js';
import { resolveDataset } from '../data/dataset.js';
import { hasGlobMagic } from '../data/glob.js';

/** SHA-256 (hex) of a file's bytes, or of a directory's files (see the module comment). */
export async function hashPath(path: string): Promise<string> {
  // A glob dataset (`daily/*.arrow`): its matched files, by path and content, so a new day changes it.
  if (hasGlobMagic(path)) return hashFileList((await resolveDataset(path)).files.map((f) => f.path));
  const info = await stat(path).catch((error: unknown) => {
    throw new DataFormatError(`Input ${path} does not exist or cannot be read`, { cause: error });
  });
  if (info.isDirectory()) return hashDirectory(path);
  return hashFile(path);
}

/**
 * Hashes this process already computed, by path, with the file's identity and change times at the
 * time. Every embed shard hashes the whole data file (its manifest input), which for a 77 MB file
 * is ~0.15 s per shard; a warm worker child running several shards of one file pays it once.
 */
const known = new Map<string, { readonly stamp: string; readonly sha256: string }>();
const KNOWN_MAX = 256;
/**
 * A hash is remembered only for a file whose last change is older than this when hashing starts:
 * file times are kernel-tick (or coarser) grained, so a file rewritten right after it was hashed
 * could otherwise keep the same size and times (git's "racy clean" problem).
 */
const SETTLED_MS = 2000n;

/** SHA-256 (hex) of a file's bytes (re-used while the file's inode, size and times are unchanged). */
export async function hashFile(path: string): Promise<string> {
  const startedMs = BigInt(Date.now());
  const before = await stat(path, { bigint: true });
  const stamp = `${before.dev}:${before.ino}:${before.size}:${before.mtimeNs}:${before.ctimeNs}`;
  const hit = known.get(path);
  if (hit?.stamp === stamp) return hit.sha256;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const sha256 = hash.digest('hex');
  const settled = before.ctimeMs < startedMs - SETTLED_MS && before.mtimeMs < startedMs - SETTLED_MS;
  const after = await stat(path, { bigint: true });
  if (settled && after.ctimeNs === before.ctimeNs && after.size === before.size) {
    if (known.size >= KNOWN_MAX) known.delete(known.keys().next().value!);
    known.set(path, { stamp, sha256 });
  }
  return sha256;
}

async function hashFileList(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file}\0${await hashFile(file)}\n`);
  return hash.digest('hex');
}

async function hashDirectory(root: string): Promise<string> {
  const files = await listFiles(root);
  const hash = createHash('sha256');
  for (const file of files) {
    // Normalised separators keep the hash identical across platforms.
    hash.update(`${relative(root, file).split(sep).join('/')}\0${await hashFile(file)}\n`);
  }
  return hash.digest('hex');
}

/** Every regular file under `root`, recursively, sorted; hidden temp entries (`.tmp-*`) are left out. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(root, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith('.tmp-')) continue;
    const path = join(root, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

// JSON hashing lives in data/ (file formats key on it too); re-exported for the manifests.
export { canonicalJson, hashJson } from '../data/canonical-json.js';
