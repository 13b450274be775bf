/**
 * A downstream model as a directory (`meles fit --out DIR`): `model.txt` in LightGBM's own text
 * format, and `fit.json` describing what it predicts and from which columns, so `meles score` can
 * check its input by name and write labelled predictions. `fit.json` is written last, so a
 * directory without it is an interrupted fit, never a model with a missing description.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeAtomically } from '../../data/atomic-write.js';
import { readJsonFile, readTextFile } from '../../data/json-file.js';
import { DataFormatError } from '../../errors.js';

/** `model.txt`: the booster in LightGBM's text format (readable by any LightGBM 4). */
export const MODEL_FILE = 'model.txt';
/** `fit.json`: the {@link FitDescription}. */
export const FIT_FILE = 'fit.json';

const summarySchema = z.object({ mean: z.number().nullable(), halfWidth: z.number().nullable() });

const fitSchema = z.object({
  formatVersion: z.literal(1),
  /** Target column of the label file. */
  target: z.string().min(1),
  kind: z.enum(['binary', 'multiclass']),
  /** Class values by class index (binary: index 1 is the positive class). */
  classes: z.array(z.string()).min(2),
  /** Client id column the model was fit with (the default `--id` of `meles score`). */
  idColumn: z.string().min(1),
  /** Model inputs in matrix order: joined name, which feature file (index) and which column of it. */
  features: z.array(z.object({ name: z.string(), file: z.int().min(0), column: z.string() })).min(1),
  /** Feature files used to fit, in order. */
  featureFiles: z.array(z.object({ path: z.string(), sha256: z.string(), rows: z.int().min(0) })).min(1),
  targets: z.object({ path: z.string(), sha256: z.string() }),
  /** Labelled clients with features in every file (the training rows). */
  rows: z.int().min(1),
  /** Boosting iterations asked for, and kept in the model. */
  trees: z.int().min(1),
  /** The full LightGBM parameters (reference defaults per kind under the overrides). */
  params: z.record(z.string(), z.unknown()),
  /** SHA-256 of `model.txt`, checked before scoring. */
  modelSha256: z.string(),
  fittedAt: z.string(),
  /** The evaluation protocol's scores for this feature set (`--evaluate`), or null. */
  evaluation: z
    .object({
      protocol: z.object({ folds: z.int(), testFraction: z.number(), seed: z.int() }),
      metrics: z.array(z.object({ metric: z.string(), test: summarySchema, valid: summarySchema })),
    })
    .nullable(),
});

/** Everything `fit.json` says about a model. */
export type FitDescription = z.infer<typeof fitSchema>;

/** A model directory read back: its description and its LightGBM text. */
export interface ModelArtefact {
  /** The model directory. */
  readonly dir: string;
  /** `fit.json`. */
  readonly fit: FitDescription;
  /** `model.txt`, checked against `fit.modelSha256`. */
  readonly modelText: string;
}

/** Writes `model.txt`, then `fit.json` (each atomically) into `dir`, creating it. */
export async function writeModelArtefact(dir: string, fit: FitDescription, modelText: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeAtomically(join(dir, MODEL_FILE), (tmp) => writeFile(tmp, modelText));
  await writeAtomically(join(dir, FIT_FILE), (tmp) => writeFile(tmp, `${JSON.stringify(fitSchema.parse(fit), null, 2)}\n`));
}

/**
 * Reads a model directory written by {@link writeModelArtefact}.
 * @throws DataFormatError naming the file for a missing or malformed `fit.json` or `model.txt`,
 *   or a `model.txt` that differs from the one the fit wrote.
 */
export async function readModelArtefact(dir: string): Promise<ModelArtefact> {
  const fit = await readJsonFile(join(dir, FIT_FILE), 'a meles fit description (fit.json)', fitSchema, {
    unreadableHint: 'is this a `meles fit --out` directory?',
  });
  const modelPath = join(dir, MODEL_FILE);
  const modelText = await readTextFile(modelPath, 'a LightGBM model');
  const sha256 = sha256Of(modelText);
  if (sha256 !== fit.modelSha256) {
    throw new DataFormatError(`${modelPath}: hashes to ${sha256}, expected ${fit.modelSha256} as recorded in ${join(dir, FIT_FILE)} (changed after fitting?)`);
  }
  return { dir, fit, modelText };
}

/** SHA-256 (hex) of a string's UTF-8 bytes. */
export function sha256Of(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** SHA-256 (hex) of a file's bytes, streamed. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
