/**
 * The fixed steps around every stage body (as a PML base class runs the fixed steps around
 * `compute_loss`): hash inputs, skip when the manifest matches, run into a temp directory, write
 * the manifest, rename into place. Both runners (in-process and BullMQ workers) call this.
 */
import { rm } from 'node:fs/promises';
import { commitDir, createTempDir, removeStaleTemps } from './atomic-dir.js';
import { describeOutputs, hashInputs, isUpToDate, manifestKey, readManifest, writeManifest } from './manifest.js';
import type { StageDefinition, StageProgress } from './stage.js';
import { stageDir } from './stage.js';

/** Where and how to run one stage. */
export interface RunStageOptions {
  /** The pipeline's output root. */
  readonly outRoot: string;
  /** For `embed-shard`: which part of the clients. */
  readonly shard?: { readonly index: number; readonly count: number };
  /** Aborted on shutdown. @defaultValue a signal that never aborts */
  readonly signal?: AbortSignal;
  /** Progress callback. @defaultValue ignore progress */
  readonly onProgress?: (progress: StageProgress) => void;
}

/** What running (or skipping) a stage produced. */
export interface StageOutcome<Result> {
  /** The stage's result, freshly computed or read back from its manifest. */
  readonly result: Result;
  /** True when the manifest matched and the body did not run. */
  readonly skipped: boolean;
  /** The stage's output directory. */
  readonly dir: string;
  /** Wall time of the body in ms (0 when skipped). */
  readonly durationMs: number;
}

/**
 * The manifest key `runStage` would give this run of `stage`, and its input hashes: a queue job
 * that prepares a stage's work (per-partition jobs) names its scratch output by it.
 */
export async function stageKey<Params, Result>(
  stage: StageDefinition<Params, Result>,
  params: Params,
  options: Pick<RunStageOptions, 'outRoot' | 'shard'>,
): Promise<{ readonly key: string; readonly inputHashes: Record<string, string> }> {
  const inputHashes = await hashInputs(stage.inputs(params, options.outRoot));
  return { key: manifestKey(stage.name, { params, shard: options.shard }, inputHashes), inputHashes };
}

/** True when `stage`'s output directory already holds the output of exactly this run (`runStage` would skip it). */
export async function isStageUpToDate<Params, Result>(stage: StageDefinition<Params, Result>, params: Params, options: Pick<RunStageOptions, 'outRoot' | 'shard'>): Promise<boolean> {
  const dir = stageDir(options.outRoot, stage.name, options.shard);
  const existing = await readManifest(dir);
  if (existing === undefined) return false;
  const { key } = await stageKey(stage, params, options);
  return (await isUpToDate(dir, existing, key)) && stage.resultSchema.safeParse(existing.result).success;
}

/** Runs `stage` with `params` unless its manifest already matches; see the module comment. */
export async function runStage<Params, Result>(
  stage: StageDefinition<Params, Result>,
  params: Params,
  options: RunStageOptions,
): Promise<StageOutcome<Result>> {
  const dir = stageDir(options.outRoot, stage.name, options.shard);
  const { key, inputHashes } = await stageKey(stage, params, options);
  const existing = await readManifest(dir);
  if (existing && (await isUpToDate(dir, existing, key))) {
    const parsed = stage.resultSchema.safeParse(existing.result);
    if (parsed.success) return { result: parsed.data, skipped: true, dir, durationMs: 0 };
  }

  await removeStaleTemps(dir);
  const workDir = await createTempDir(dir);
  const started = Date.now();
  try {
    const result = await stage.run(params, {
      workDir,
      outRoot: options.outRoot,
      key,
      inputHashes,
      signal: options.signal ?? new AbortController().signal,
      progress: options.onProgress ?? (() => {}),
    });
    const finished = Date.now();
    await writeManifest(workDir, {
      formatVersion: 1,
      stage: stage.name,
      key,
      params: { params, shard: options.shard },
      inputs: inputHashes,
      outputs: await describeOutputs(workDir),
      result,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      durationMs: finished - started,
    });
    await commitDir(workDir, dir);
    return { result, skipped: false, dir, durationMs: finished - started };
  } catch (error) {
    // No half-written output: the temp directory goes, the previous complete output (if any) stays.
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}
