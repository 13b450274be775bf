/**
 * sha256 checksums of the files of a model directory, recorded in `model.json` (written last) at
 * save time and verified at load time, so a damaged `weights.bin` is an error naming the file
 * instead of NaN embeddings. Directories saved before checksums existed have none and load
 * without verification.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { DataFormatError } from '../errors.js';

/** The files of a model directory that carry a checksum (model.json holds them). */
export const CHECKSUMMED_FILES = ['weights.bin', 'vocabularies.json', 'schema.json', 'training.json'] as const;

/** File name → lowercase hex sha256. */
export type ModelChecksums = Readonly<Record<string, string>>;

/** sha256 (hex) of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Checksums of {@link CHECKSUMMED_FILES} in `dir`, as they are on disk now. */
export async function checksumModelFiles(dir: string): Promise<ModelChecksums> {
  const out: Record<string, string> = {};
  for (const name of CHECKSUMMED_FILES) out[name] = await sha256File(join(dir, name));
  return out;
}

/**
 * Validates the `checksums` field of model.json: absent (an older model) gives `undefined`.
 * @throws DataFormatError naming model.json when present but not `{file: sha256}` for every file.
 */
export function parseModelChecksums(value: unknown, modelPath: string): ModelChecksums | undefined {
  if (value === undefined) return undefined;
  const record = value as Record<string, unknown> | null;
  for (const name of CHECKSUMMED_FILES) {
    const sum = typeof record === 'object' && record !== null ? record[name] : undefined;
    if (typeof sum !== 'string' || !/^[0-9a-f]{64}$/.test(sum)) {
      throw new DataFormatError(`${modelPath}: expected \`checksums.${name}\` to be a sha256 (64 hex digits), found ${JSON.stringify(sum) ?? 'nothing'}`);
    }
  }
  return record as ModelChecksums;
}

/**
 * Checks one file against its recorded checksum (no-op when `checksums` is undefined or has no
 * entry for `name`, as for the optional head files of models saved before them).
 * @throws DataFormatError `<dir>/<file>: checksum mismatch (expected sha256 …, found …): the model file is damaged`.
 */
export async function verifyModelFile(dir: string, name: string, checksums: ModelChecksums | undefined): Promise<void> {
  if (checksums === undefined || checksums[name] === undefined) return;
  const path = join(dir, name);
  let found: string;
  try {
    found = await sha256File(path);
  } catch (error) {
    throw new DataFormatError(`${path}: cannot read the model file (${(error as NodeJS.ErrnoException).code ?? String(error)}); the model directory is incomplete`, { cause: error });
  }
  const expected = checksums[name]!;
  if (found !== expected) throw new DataFormatError(`${path}: checksum mismatch (expected sha256 ${expected}, found ${found}): the model file is damaged`);
}
