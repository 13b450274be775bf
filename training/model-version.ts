/**
 * The registry version a model directory was published as, for the `meles.model_version` of the
 * embedding files it makes. A published model lives at `<registry>/models/<version>/` and
 * `<registry>/registry.json` lists that version (pipeline/model-registry.ts); any other directory
 * (a `meles train --out`, a pipeline's `train/model`) has no version. This is a label only: the
 * model's identity is its fingerprint (`meles.model_sha256`), so no hash is checked here.
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { readOptionalJsonFile } from '../data/json-file.js';

/** Only what naming a version needs; the registry module validates the rest. */
const registryIndex = z.object({ versions: z.array(z.object({ version: z.string() })) });

/** The version of `modelDir` in the registry around it, or `null` when it is not a published model. */
export async function registryVersionOf(modelDir: string): Promise<string | null> {
  const dir = await realpath(modelDir).catch(() => resolve(modelDir));
  const models = dirname(dir);
  if (basename(models) !== 'models') return null;
  // An unreadable or foreign registry.json only means "no version": embedding must not fail over a label.
  const index = await readOptionalJsonFile(join(dirname(models), 'registry.json'), 'a meles model registry index', registryIndex).catch(() => undefined);
  const name = basename(dir);
  return index?.versions.some((v) => v.version === name) === true ? name : null;
}
