/**
 * A small on-disk model registry (`meles model publish RUN`): published models are copied to
 * `<registry>/models/<version>/`, and `registry.json` lists every version, which one is latest,
 * which one is pinned, the evaluation each one passed, and a history of pins and rollbacks.
 * Scheduled embedding that follows the registry uses the pinned version, else the latest one.
 * One publisher at a time is assumed (the index is replaced atomically, but not locked).
 *
 * `registry.json` is input like any other file: a worker may read a registry it did not write. So
 * version names are checked (no path separators), the model folder must resolve (symlinks
 * included) inside `<registry>/models/`, and its content must hash to the recorded sha256
 * before anything uses it ({@link resolveModel}).
 */
import { access, cp, lstat, mkdir, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { writeAtomically } from '../data/atomic-write.js';
import { readOptionalJsonFile } from '../data/json-file.js';
import { ConfigError, DataFormatError } from '../errors.js';
import { hashPath } from './hashing.js';
import { readManifest } from './manifest.js';
import { stageDir } from './stage.js';
import { MODEL_SUBDIR } from './stages/train-stage.js';

/**
 * A version name: `v1`, `v2`, … as publish makes them, or a short slug. Never `.`/`..` or a path
 * separator, because the name becomes a folder name under `models/`; never `latest`, which is the
 * choice "whatever the registry says".
 */
export const VERSION_NAME = /^(?!latest$)(v[0-9]+|[A-Za-z0-9][A-Za-z0-9_-]{0,63})$/;

const versionName = z.string().regex(VERSION_NAME, {
  error: (issue) => `expected a version name like \`v3\` (letters, digits, \`-\`, \`_\`; no path separators), found ${JSON.stringify(issue.input)}`,
});

const scoreSchema = z.object({ target: z.string(), metric: z.string(), set: z.string(), mean: z.number() });

const versionSchema = z.object({
  version: versionName,
  publishedAt: z.string(),
  source: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  evaluation: z.object({ scores: z.array(scoreSchema), passed: z.array(z.string()) }).nullable(),
});

const eventSchema = z.object({
  at: z.string(),
  action: z.enum(['publish', 'pin', 'unpin', 'rollback']),
  /** The version the action made latest (publish, rollback) or pinned (pin); the unpinned one (unpin). */
  version: versionName,
  /** The version that was latest before a rollback. */
  from: versionName.optional(),
});

const fields = {
  latest: versionName.nullable(),
  versions: z.array(versionSchema),
};

/** Format 2 adds `pinned` and `history`; a format 1 file reads as unpinned with an empty history. */
const indexSchema = z
  .discriminatedUnion('formatVersion', [
    z.object({ formatVersion: z.literal(1), ...fields }),
    z.object({ formatVersion: z.literal(2), ...fields, pinned: versionName.nullable(), history: z.array(eventSchema) }),
  ])
  .superRefine((index, ctx) => {
    const known = new Set(index.versions.map((v) => v.version));
    if (known.size !== index.versions.length) ctx.addIssue({ code: 'custom', path: ['versions'], message: 'expected unique version names' });
    const named = { latest: index.latest, pinned: index.formatVersion === 2 ? index.pinned : null };
    for (const [key, name] of Object.entries(named)) {
      if (name !== null && !known.has(name)) ctx.addIssue({ code: 'custom', path: [key], message: `version ${name} is not among the listed versions` });
    }
  })
  .transform((index) => (index.formatVersion === 2 ? index : { ...index, formatVersion: 2 as const, pinned: null, history: [] }));

/** One evaluation score recorded with a version (mean over folds). */
export type RegistryScore = z.infer<typeof scoreSchema>;
/** One published model version. */
export type ModelVersion = z.infer<typeof versionSchema>;
/** One recorded lifecycle action (publish, pin, unpin, rollback). */
export type RegistryEvent = z.infer<typeof eventSchema>;
/** The registry index (`registry.json`), always in the current format once read. */
export type RegistryIndex = z.output<typeof indexSchema>;

/** Which model a consumer wants: what the registry says (`latest`: pinned, else latest) or one version. */
export type ModelChoice = 'latest' | string;

/** A model resolved for use: its entry and its real, confined, hash-checked directory. */
export interface ResolvedModel {
  /** The registry entry. */
  readonly version: ModelVersion;
  /** Real path of the model folder (inside `<registry>/models/`). */
  readonly dir: string;
}

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
  // A corrupt index is a DataFormatError, so a job reading it fails once instead of retrying.
  const index = await readOptionalJsonFile(join(registry, INDEX_FILE), 'a meles model registry index', indexSchema);
  return index ?? { formatVersion: 2, latest: null, pinned: null, versions: [], history: [] };
}

/** The version before `latest` in publish order (what a plain rollback goes back to), or null. */
export function previousVersion(index: RegistryIndex): string | null {
  const at = index.versions.findIndex((v) => v.version === index.latest);
  return at > 0 ? index.versions[at - 1]!.version : null;
}

/** The version a consumer following the registry uses: the pinned one, else the latest. */
export function versionInUse(index: RegistryIndex): string | null {
  return index.pinned ?? index.latest;
}

/** {@link resolveModel} for `latest`: the model that schedules following the registry use. */
export async function latestModel(registry: string): Promise<ResolvedModel> {
  return resolveModel(registry, 'latest');
}

/**
 * The model for `choice`, checked before use: the folder must lie inside `<registry>/models/`
 * once every symlink is resolved, and hash to the sha256 recorded at publish time.
 * @throws ConfigError when nothing is published or `choice` names an unknown version;
 *   DataFormatError naming registry.json and the version for an escape or a hash mismatch.
 */
export async function resolveModel(registry: string, choice: ModelChoice): Promise<ResolvedModel> {
  const index = await readRegistry(registry);
  const name = choice === 'latest' ? versionInUse(index) : choice;
  if (name === null) throw new ConfigError(`Model registry ${registry} has no published model; run \`meles model publish RUN --registry ${registry}\``);
  const version = findVersion(registry, index, name);
  const where = `${join(registry, INDEX_FILE)}: version ${version.version}`;
  const dir = await confinedModelDir(registry, version.version, where);
  const sha256 = await hashPath(dir);
  if (sha256 !== version.sha256) {
    throw new DataFormatError(`${where}: the model folder ${dir} hashes to ${sha256}, expected the recorded ${version.sha256} (changed after publishing?)`);
  }
  return { version, dir };
}

/** Directory of a published version (not checked; {@link resolveModel} checks before use). */
export function modelDirOf(registry: string, version: string): string {
  return join(registry, 'models', version);
}

/** Copies the run's model into the registry as the next version and makes it latest. */
export async function publishModel(options: PublishOptions): Promise<ModelVersion> {
  const run = resolve(options.run);
  const model = await findModelDir(run);
  const evaluation = await evaluationOf(run, options.set ?? 'meles', options.require ?? []);
  const index = await readRegistry(options.registry);
  // After the highest number ever used, so a name is never reused for different content.
  const numbers = index.versions.map((v) => /^v(\d+)$/.exec(v.version)).map((m) => (m ? Number(m[1]) : 0));
  const version = `v${Math.max(0, ...numbers) + 1}`;
  const target = modelDirOf(options.registry, version);
  await mkdir(join(options.registry, 'models'), { recursive: true });
  await rm(target, { recursive: true, force: true });
  await cp(model, target, { recursive: true });
  const entry: ModelVersion = { version, publishedAt: new Date().toISOString(), source: model, sha256: await hashPath(target), evaluation };
  await writeRegistry(options.registry, {
    ...index, latest: version, versions: [...index.versions, entry], history: [...index.history, event('publish', version)],
  });
  return entry;
}

/** Pins `version`: consumers following the registry use it until {@link unpinModel}, whatever is published. */
export async function pinModel(registry: string, version: string): Promise<RegistryIndex> {
  const index = await readRegistry(registry);
  findVersion(registry, index, version);
  return writeRegistry(registry, { ...index, pinned: version, history: [...index.history, event('pin', version)] });
}

/** Removes the pin; returns the index (unchanged when nothing was pinned). */
export async function unpinModel(registry: string): Promise<RegistryIndex> {
  const index = await readRegistry(registry);
  if (index.pinned === null) return index;
  return writeRegistry(registry, { ...index, pinned: null, history: [...index.history, event('unpin', index.pinned)] });
}

/**
 * Makes an earlier version latest again: `to`, or the one published before the current latest.
 * Later versions stay listed (and can be rolled forward to with `to`).
 * @throws ConfigError when there is nothing to roll back to or `to` is unknown or already latest.
 */
export async function rollbackModel(registry: string, to?: string): Promise<RegistryIndex> {
  const index = await readRegistry(registry);
  if (index.latest === null) throw new ConfigError(`Model registry ${registry} has no published model to roll back`);
  const target = to ?? previousVersion(index);
  if (target === null) throw new ConfigError(`Cannot roll back ${registry}: ${index.latest} is the first version; nothing was published before it`);
  findVersion(registry, index, target);
  if (target === index.latest) throw new ConfigError(`Cannot roll back ${registry} to ${target}: it is already the latest version`);
  return writeRegistry(registry, {
    ...index, latest: target, history: [...index.history, { ...event('rollback', target), from: index.latest }],
  });
}

function event(action: RegistryEvent['action'], version: string): RegistryEvent {
  return { at: new Date().toISOString(), action, version };
}

function findVersion(registry: string, index: RegistryIndex, name: string): ModelVersion {
  const version = index.versions.find((v) => v.version === name);
  if (!version) {
    const known = index.versions.map((v) => v.version).join(', ') || 'none';
    throw new ConfigError(`Model registry ${registry} has no version \`${name}\`; published versions: ${known}`);
  }
  return version;
}

async function writeRegistry(registry: string, index: RegistryIndex): Promise<RegistryIndex> {
  await writeAtomically(join(registry, INDEX_FILE), async (tmp) => {
    await writeFile(tmp, `${JSON.stringify(index, null, 2)}\n`);
  });
  return index;
}

/**
 * The real path of `<registry>/models/<version>`, refusing a folder (or any file or link in it)
 * that resolves outside `<registry>/models/`: a symlinked version folder or weights file would
 * make a worker load a model the registry never published.
 */
async function confinedModelDir(registry: string, version: string, where: string): Promise<string> {
  // The name was checked by the schema; checking again keeps this safe for any caller.
  if (!VERSION_NAME.test(version)) throw new DataFormatError(`${where}: not a valid version name`);
  let root: string;
  let dir: string;
  try {
    root = await realpath(join(registry, 'models'));
    dir = await realpath(modelDirOf(registry, version));
  } catch (error) {
    throw new DataFormatError(`${where}: the model folder ${modelDirOf(registry, version)} is missing (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  if (!isBelow(root, dir)) throw new DataFormatError(`${where}: the model folder resolves to ${dir}, outside the registry's ${root}`);
  if (!(await lstat(dir)).isDirectory()) throw new DataFormatError(`${where}: ${dir} is not a directory`);
  await checkLinksInside(dir, dir, where);
  return dir;
}

async function checkLinksInside(root: string, dir: string, where: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      const real = await realpath(path).catch(() => path);
      if (!isBelow(root, real)) throw new DataFormatError(`${where}: ${path} links to ${real}, outside the model folder`);
    } else if (entry.isDirectory()) {
      await checkLinksInside(root, path, where);
    }
  }
}

/** True when `child` lies strictly below `root`. */
function isBelow(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
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
