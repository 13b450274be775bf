/**
 * The identity of a model directory: what an incremental-embedding state records, so a state made
 * by another model (retrained, fine-tuned, other vocabularies) is refused instead of continued.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { CHECKSUMMED_FILES, sha256File } from './model-checksums.js';

/**
 * sha256 (hex) identifying a model directory: of model.json's bytes, which record the architecture
 * and the sha256 of every other file (model-checksums.ts), so any change of weights, vocabularies
 * or schema changes it. A model saved before checksums records none: then the files' own sha256s
 * are hashed in as well.
 * @throws ConfigError naming model.json when it is missing or not JSON
 */
export async function modelFingerprint(dir: string): Promise<string> {
  const modelPath = join(dir, 'model.json');
  let bytes: Buffer;
  try {
    bytes = await readFile(modelPath);
  } catch (error) {
    throw new ConfigError(`${modelPath}: cannot read the model description (${(error as NodeJS.ErrnoException).code ?? String(error)}); is this a meles model directory?`, { cause: error });
  }
  let meta: unknown;
  try {
    meta = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ConfigError(`${modelPath}: expected JSON, found unparsable text (${(error as Error).message})`, { cause: error });
  }
  const hash = createHash('sha256').update('meles model fingerprint v1\n').update(bytes);
  const checksums = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>).checksums : undefined;
  if (checksums === undefined) for (const name of CHECKSUMMED_FILES) hash.update(`\n${name} ${await sha256File(join(dir, name))}`);
  return hash.digest('hex');
}
