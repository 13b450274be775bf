/**
 * The manifest each stage writes beside its outputs: what it read (content hashes by label), the
 * parameters it ran with, what it wrote (sizes and hashes) and its small result. A stage whose
 * manifest key matches its current inputs and parameters is not run again.
 */
import { stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { z } from 'zod';
import { readOptionalJsonFile } from '../data/json-file.js';
import { hashFile, hashJson, hashPath, listFiles } from './hashing.js';

/** File name of the manifest inside every stage directory. */
export const MANIFEST_FILE = 'manifest.json';

const outputSchema = z.object({ path: z.string(), bytes: z.number(), sha256: z.string() });

/** The stored manifest. */
export const manifestSchema = z.object({
  formatVersion: z.literal(1),
  stage: z.string(),
  key: z.string(),
  params: z.unknown(),
  inputs: z.record(z.string(), z.string()),
  outputs: z.array(outputSchema),
  result: z.unknown(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
});

/** A stage manifest as stored in `manifest.json`. */
export type StageManifest = z.infer<typeof manifestSchema>;

/** One written output file, relative to the stage directory. */
export type ManifestOutput = z.infer<typeof outputSchema>;

/** Hashes every labelled input and returns label → SHA-256. */
export async function hashInputs(inputs: Readonly<Record<string, string>>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const label of Object.keys(inputs).sort()) out[label] = await hashPath(inputs[label]!);
  return out;
}

/** The key a manifest must carry to count as up to date for these parameters and input hashes. */
export function manifestKey(stage: string, params: unknown, inputHashes: Readonly<Record<string, string>>): string {
  return hashJson({ formatVersion: 1, stage, params, inputs: inputHashes });
}

/** Sizes and hashes of every file in a finished stage directory (the manifest itself excluded). */
export async function describeOutputs(dir: string): Promise<ManifestOutput[]> {
  const out: ManifestOutput[] = [];
  for (const file of await listFiles(dir)) {
    const path = relative(dir, file).split(sep).join('/');
    if (path === MANIFEST_FILE) continue;
    out.push({ path, bytes: (await stat(file)).size, sha256: await hashFile(file) });
  }
  return out;
}

/** Reads a stage directory's manifest, or `undefined` when it is missing or unreadable. */
export async function readManifest(dir: string): Promise<StageManifest | undefined> {
  // A manifest that is unreadable, not JSON or not a manifest is treated as absent: the stage simply runs again.
  return readOptionalJsonFile(join(dir, MANIFEST_FILE), 'a stage manifest', manifestSchema).catch(() => undefined);
}

/** Writes a manifest into a (temp) stage directory. */
export async function writeManifest(dir: string, manifest: StageManifest): Promise<void> {
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** True when `manifest` has `key` and every output it lists still exists with its recorded size. */
export async function isUpToDate(dir: string, manifest: StageManifest, key: string): Promise<boolean> {
  if (manifest.key !== key) return false;
  for (const output of manifest.outputs) {
    try {
      if ((await stat(join(dir, output.path))).size !== output.bytes) return false;
    } catch {
      return false;
    }
  }
  return true;
}
