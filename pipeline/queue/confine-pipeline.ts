/**
 * Applies the worker's root directories to a pipeline from a job payload: inputs must resolve
 * under `--data-root` (or `--out-root`), outputs under `--out-root`.
 *
 * Paths travel root-relative so hosts may mount the shared roots at different places: a submitter
 * that knows the roots ({@link rootRelativePipeline}) sends `data` and `targets.path` relative to
 * the data root and `out` relative to the out root, and each worker resolves them against its own
 * roots ({@link pipelineFromPayload}). Absolute paths still work on hosts that see them alike.
 */
import { isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { OWN_FIT, parsePipelineConfig, pipelineToJson, type PipelineConfig, type pipelineFileSchema } from '../pipeline-config.js';
import { confinePath, rootRelative, type WorkerRoots } from './roots.js';

/** Returns `config` with every path checked (and made absolute); throws ConfigError on escape. */
export async function confinePipeline(config: PipelineConfig, roots: WorkerRoots): Promise<PipelineConfig> {
  const data = await confinePath('data', config.data, 'read', roots);
  const out = await confinePath('out', config.out, 'write', roots);
  const targets = config.targets
    ? { ...config.targets, path: await confinePath('targets.path', config.targets.path, 'read', roots) }
    : undefined;
  // A score stage may read a model directory from outside the pipeline: it is an input like `data`.
  const score = config.score && config.score.model !== OWN_FIT
    ? { ...config.score, model: await confinePath('score.model', config.score.model, 'read', roots) }
    : config.score;
  return { ...config, data, out, ...(targets ? { targets } : {}), ...(score ? { score } : {}) };
}

/**
 * The pipeline of a job payload as this worker sees it: a relative `out` against `--out-root`,
 * relative `data` and `targets.path` against `--data-root`, then validated and confined.
 * @throws ConfigError for an invalid pipeline or a path outside the roots.
 */
export async function pipelineFromPayload(raw: Readonly<Record<string, unknown>>, where: string, roots: WorkerRoots): Promise<PipelineConfig> {
  const out = raw.out;
  const anchored = typeof out === 'string' && !isAbsolute(out) ? { ...raw, out: resolve(roots.outRoot, out) } : raw;
  return confinePipeline(parsePipelineConfig(anchored, where, roots.dataRoot), roots);
}

/**
 * The payload form of `config` with root-relative paths (the opposite of {@link pipelineFromPayload}),
 * as the submitting host sees the roots.
 * @throws ConfigError naming the field and the root when a path lies outside it.
 */
export async function rootRelativePipeline(config: PipelineConfig, roots: WorkerRoots): Promise<z.input<typeof pipelineFileSchema>> {
  const json = pipelineToJson(config);
  const targets = json.targets ? { ...json.targets, path: await rootRelative('targets.path', json.targets.path, roots.dataRoot, '--data-root') } : undefined;
  return {
    ...json,
    data: await rootRelative('data', json.data, roots.dataRoot, '--data-root'),
    out: await rootRelative('out', json.out, roots.outRoot, '--out-root'),
    ...(targets ? { targets } : {}),
    ...(json.score && json.score.model !== OWN_FIT
      ? { score: { ...json.score, model: await rootRelative('score.model', json.score.model, roots.dataRoot, '--data-root') } }
      : {}),
  };
}

/** Roots handed to sandboxed children through their environment. */
export function rootsFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerRoots {
  const dataRoot = env.MELES_DATA_ROOT;
  const outRoot = env.MELES_OUT_ROOT;
  if (!dataRoot || !outRoot) throw new Error('MELES_DATA_ROOT and MELES_OUT_ROOT must be set for stage processors');
  return { dataRoot, outRoot };
}
