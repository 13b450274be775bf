/**
 * A small on-disk model registry (`meles model publish RUN`): published models are copied to
 * `<registry>/models/<version>/`, and `registry.json` lists every version, which one is latest,
 * and the evaluation each one passed. Scheduled embedding always uses the latest version.
 * One publisher at a time is assumed (the index is replaced atomically, but not locked).
 */
import { access, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { writeAtomically } from '../data/atomic-write.js';
import { ConfigError } from '../errors.js';
import { hashPath } from './hashing.js';
import { readManifest } from './manifest.js';
import { stageDir } from './stage.js';
import { MODEL_SUBDIR } from './stages/train-stage.js';

const scoreSchema = z.object({ target: z.string(), metric: z.string(), set: z.string(), mean: z.number() });

const versionSchema = z.object({
  version: z.string(),
  publishedAt: z.string(),
  source: z.string(),
  sha256: z.string(),
  evaluation: z.object({ scores: z.array(scoreSchema), passed: z.array(z.string()) }).nullable(),
});

const indexSchema = z.object({
  formatVersion: z.literal(1),
  latest: z.string().nullable(),
  versions: z.array(versionSchema),
});

/** One evaluation score recorded with a version (mean over folds). */
export type RegistryScore = z.infer<typeof scoreSchema>;
/** One published model version. */
export type ModelVersion = z.infer<typeof versionSchema>;
/** The registry index (`registry.json`). */
export type RegistryIndex = z.infer<typeof indexSchema>;

/** A minimum score a model must reach to be published, e.g. `gender>=0.6` on the meles set. */
export interface ScoreRequirement {
  /** Target column. */
  readonly target: string;
  /** Lowest accepted mean score. */
  readonly min: number;
}

/** Options of {@link publishModel}. */
export interface PublishOptions {
  /** Registry directory (created on first publish). */
  readonly registry: string;
  /** A pipeline output directory (`<out>`, with `train/model`) or a model directory (`meles train --out`). */
  readonly run: string;
  /** Scores the run's comparison must reach; needs a `compare` stage in the run. @defaultValue `[]` */
  readonly require?: readonly ScoreRequirement[];
  /** Feature-set name whose scores count. @defaultValue `'meles'` */
  readonly set?: string;
}

const INDEX_FILE = 'registry.json';

/** Reads the registry index (an empty index when the registry does not exist yet). */
export async function readRegistry(registry: string): Promise<RegistryIndex> {
  let text: string;
  try {
    text = await readFile(join(registry, INDEX_FILE), 'utf8');
  } catch {
    return { formatVersion: 1, latest: null, versions: [] };
  }
  const parsed = indexSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new ConfigError(`${join(registry, INDEX_FILE)}: not a meles model registry:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The latest published model and its directory; throws a ConfigError when nothing was published. */
export async function latestModel(registry: string): Promise<{ version: ModelVersion; dir: string }> {
  const index = await readRegistry(registry);
  const version = index.versions.find((v) => v.version === index.latest);
  if (!version) throw new ConfigError(`Model registry ${registry} has no published model; run \`meles model publish RUN --registry ${registry}\``);
  return { version, dir: modelDirOf(registry, version.version) };
}

/** Directory of a published version. */
export function modelDirOf(registry: string, version: string): string {
  return join(registry, 'models', version);
}

/** Copies the run's model into the registry as the next version and makes it latest. */
export async function publishModel(options: PublishOptions): Promise<ModelVersion> {
  const run = resolve(options.run);
  const model = await findModelDir(run);
  const evaluation = await evaluationOf(run, options.set ?? 'meles', options.require ?? []);
  const index = await readRegistry(options.registry);
  const version = `v${index.versions.length + 1}`;
  const target = modelDirOf(options.registry, version);
  await mkdir(join(options.registry, 'models'), { recursive: true });
  await rm(target, { recursive: true, force: true });
  await cp(model, target, { recursive: true });
  const entry: ModelVersion = { version, publishedAt: new Date().toISOString(), source: model, sha256: await hashPath(target), evaluation };
  const next: RegistryIndex = { formatVersion: 1, latest: version, versions: [...index.versions, entry] };
  await writeAtomically(join(options.registry, INDEX_FILE), async (tmp) => {
    await writeFile(tmp, `${JSON.stringify(next, null, 2)}\n`);
  });
  return entry;
}

async function findModelDir(run: string): Promise<string> {
  const inPipeline = join(stageDir(run, 'train'), MODEL_SUBDIR);
  if (await exists(inPipeline)) return inPipeline;
  if (await exists(join(run, 'manifest.json'))) return run;
  throw new ConfigError(`${run}: expected a pipeline output directory (with train/${MODEL_SUBDIR}) or a model directory (with manifest.json)`);
}

/** Scores of the run's compare stage for `set`, checked against `require`. */
async function evaluationOf(run: string, set: string, require: readonly ScoreRequirement[]): Promise<ModelVersion['evaluation']> {
  const manifest = await readManifest(stageDir(run, 'compare'));
  const scores = z.object({ scores: z.array(scoreSchema) }).safeParse(manifest?.result);
  if (!scores.success) {
    if (require.length > 0) throw new ConfigError(`${run}: --require needs an evaluation, but the run has no compare stage output`);
    return null;
  }
  const mine = scores.data.scores.filter((s) => s.set === set);
  const passed: string[] = [];
  for (const need of require) {
    const score = mine.find((s) => s.target === need.target);
    if (!score) throw new ConfigError(`${run}: no \`${need.target}\` score for set \`${set}\` in the comparison`);
    if (score.mean < need.min) {
      throw new ConfigError(`Not publishing ${run}: ${need.target} ${score.metric} ${score.mean.toFixed(4)} is below the required ${need.min}`);
    }
    passed.push(`${need.target} ${score.metric} ${score.mean.toFixed(4)} >= ${need.min}`);
  }
  return { scores: mine, passed };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}
