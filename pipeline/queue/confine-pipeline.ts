/**
 * Applies the worker's root directories to a pipeline from a job payload: inputs must resolve
 * under `--data-root` (or `--out-root`), outputs under `--out-root`.
 */
import type { PipelineConfig } from '../pipeline-config.js';
import { confinePath, type WorkerRoots } from './roots.js';

/** Returns `config` with every path checked (and made absolute); throws ConfigError on escape. */
export async function confinePipeline(config: PipelineConfig, roots: WorkerRoots): Promise<PipelineConfig> {
  const data = await confinePath('data', config.data, 'read', roots);
  const out = await confinePath('out', config.out, 'write', roots);
  const targets = config.targets
    ? { ...config.targets, path: await confinePath('targets.path', config.targets.path, 'read', roots) }
    : undefined;
  return { ...config, data, out, ...(targets ? { targets } : {}) };
}

/** Roots handed to sandboxed children through their environment. */
export function rootsFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerRoots {
  const dataRoot = env.MELES_DATA_ROOT;
  const outRoot = env.MELES_OUT_ROOT;
  if (!dataRoot || !outRoot) throw new Error('MELES_DATA_ROOT and MELES_OUT_ROOT must be set for stage processors');
  return { dataRoot, outRoot };
}
