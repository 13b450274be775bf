/**
 * Checks every command that writes runs before any work: its outputs must not be its inputs, and
 * the folders they go to must exist (or be creatable) and be writable. Both fail with a
 * {@link ConfigError} naming the flag and the path, so bad arguments exit 2 with nothing written
 * instead of overwriting the user's data or failing with a raw ENOENT on a temp name after the work.
 *
 * Paths are compared by their real paths (symbolic links and `..` resolved). An output that does
 * not exist yet is resolved through its nearest existing ancestor, so `out/../data.arrow` and a
 * link to the data folder are caught too.
 */
import { randomBytes } from 'node:crypto';
import { access, constants, open, realpath, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../errors.js';

/** Something a command writes. */
export interface OutputPath {
  /** The flag (or argument) that named it, for messages, e.g. `--out`. */
  readonly flag: string;
  /** The path as the user gave it (or a file inside it, e.g. `out/report.json`). */
  readonly path: string;
  /**
   * - `'file'`: a file written at `path` (renamed over it); its folder must already exist.
   * - `'folder'`: a folder created when missing, with files written into it (list those that
   *   could collide with inputs as `'file'` outputs with `inNewFolder`).
   * - `'replaced-folder'`: like `'folder'`, but the folder is replaced as a whole, so no input may
   *   lie inside it.
   */
  readonly kind: 'file' | 'folder' | 'replaced-folder';
  /** A `'file'` whose folder the command creates (another output): its folder need not exist yet. @defaultValue `false` */
  readonly inNewFolder?: boolean;
}

/** Something a command reads. Missing inputs are not reported here; their readers word that. */
export interface InputPath {
  /** The flag (or argument) that named it, e.g. `--data`. */
  readonly flag: string;
  /** The path as the user gave it. */
  readonly path: string;
}

/**
 * Refuses outputs that would overwrite or replace an input, then checks that every output's
 * folder is writable ({@link expectWritableOutputs}). Call it first in a command's action.
 * @throws ConfigError naming both flags and paths, or the output flag and the folder.
 */
export async function checkOutputs(outputs: readonly OutputPath[], inputs: readonly InputPath[]): Promise<void> {
  await refuseAliasing(outputs, inputs);
  await expectWritableOutputs(outputs);
}

/**
 * Refuses an output file that is an input, and a replaced output folder that contains an input.
 * @throws ConfigError like ``--out data/tx.arrow is also an input (--data data/tx.arrow); choose another output path``
 */
export async function refuseAliasing(outputs: readonly OutputPath[], inputs: readonly InputPath[]): Promise<void> {
  const realInputs = await Promise.all(
    inputs.map(async (input) => ({ input, real: await realPathOf(input.path), isFolder: (await stat(input.path).catch(() => undefined))?.isDirectory() === true })),
  );
  for (const output of outputs) {
    const out = await realPathOf(output.path);
    for (const { input, real, isFolder } of realInputs) {
      if (real === out && output.kind === 'file') {
        throw new ConfigError(`\`${output.flag}\` ${output.path} is also an input (\`${input.flag}\` ${input.path}); choose another output path`);
      }
      // A dataset folder read as a whole would take the output in as data on the next run.
      if (isFolder && output.kind === 'file' && isInside(out, real)) {
        throw new ConfigError(`\`${output.flag}\` ${output.path} lies inside the input folder (\`${input.flag}\` ${input.path}); choose an output path outside it`);
      }
      if (output.kind === 'replaced-folder' && (real === out || isInside(real, out))) {
        throw new ConfigError(
          `\`${output.flag}\` ${output.path} would be replaced, but it contains an input (\`${input.flag}\` ${input.path}); choose another output folder`,
        );
      }
    }
  }
}

/**
 * Checks, before any work, that each output can be written: a `'file'` output's folder exists
 * and is writable and the path is not a folder; a folder output is a folder (or does not exist
 * yet) and its nearest existing ancestor is a writable folder.
 * @throws ConfigError like ``--out /x/y/emb.arrow: the folder /x/y does not exist``
 */
export async function expectWritableOutputs(outputs: readonly OutputPath[]): Promise<void> {
  for (const output of outputs) {
    const where = `\`${output.flag}\` ${output.path}`;
    const existing = await stat(output.path).catch(() => undefined);
    if (output.kind === 'file') {
      if (existing?.isDirectory()) throw new ConfigError(`${where}: expected a file path, found a folder`);
      if (output.inNewFolder === true) {
        await expectWritableAncestor(where, dirname(output.path));
        continue;
      }
      const folder = dirname(output.path);
      const info = await stat(folder).catch(() => undefined);
      if (info === undefined) throw new ConfigError(`${where}: the folder ${folder} does not exist; create it first`);
      if (!info.isDirectory()) throw new ConfigError(`${where}: ${folder} is not a folder`);
      await expectWritable(where, folder);
      continue;
    }
    if (existing !== undefined && !existing.isDirectory()) throw new ConfigError(`${where}: expected a folder, found a file`);
    await expectWritableAncestor(where, output.path);
  }
}

/** The nearest existing ancestor of `path` (or `path` itself) must be a writable folder. */
async function expectWritableAncestor(where: string, path: string): Promise<void> {
  let current = resolve(path);
  for (;;) {
    const info = await stat(current).catch(() => undefined);
    if (info !== undefined) {
      if (!info.isDirectory()) throw new ConfigError(`${where}: ${current} is a file, so the folder cannot be created`);
      await expectWritable(where, current);
      return;
    }
    const parent = dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

/**
 * `access` alone is not enough: it says yes to root on any folder, also on /proc, where Node's
 * recursive mkdir then loops forever. So a probe file is created and removed as well.
 */
async function expectWritable(where: string, folder: string): Promise<void> {
  try {
    await access(folder, constants.W_OK | constants.X_OK);
    const probe = join(folder, `.meles-write-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
    await (await open(probe, 'wx')).close();
    await rm(probe, { force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`${where}: the folder ${folder} is not writable (${code})`, { cause: error });
  }
}

/** The real path of `path`; for a path that does not exist, its nearest existing ancestor's real path + the rest. */
export async function realPathOf(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    const parent = dirname(absolute);
    if (parent === absolute) return absolute;
    return join(await realPathOf(parent), basename(absolute));
  }
}

/** True when `path` lies strictly inside the folder `folder` (both real, absolute paths). */
function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep);
}

/** A folder created when missing plus the named files written into it, e.g. `report.json` of `meles compare --out DIR`. */
export function reportOutputs(flag: string, folder: string, files: readonly string[]): OutputPath[] {
  return [{ flag, path: folder, kind: 'folder' }, ...files.map((name): OutputPath => ({ flag, path: join(folder, name), kind: 'file', inNewFolder: true }))];
}
