/**
 * The sandboxed processor: BullMQ forks a child process per concurrent job slot and calls this
 * default export there, so each stage (tfjs on one wasm thread) gets its own core. It validates
 * the payload, confines paths to the worker's roots, then runs the same step code as the
 * in-process runner. Loaded through stage-processor.mjs, which registers tsx first.
 */
import type { SandboxedJob } from 'bullmq';
import { pipelineFromPayload, rootsFromEnv } from './confine-pipeline.js';
import { toJobError } from './job-errors.js';
import { parseStageJob } from './job-payload.js';
import { runStep, type StepOutcome } from '../run-step.js';
import type { StageProgress } from '../stage.js';

// A child whose worker died cannot report its result; stop instead of racing the worker that
// picks the job up after the stalled check.
if (typeof process.send === 'function') process.once('disconnect', () => process.exit(70));

/** Processes one stage job (see the module comment). */
export default async function processStageJob(job: SandboxedJob, _token?: string, signal?: AbortSignal): Promise<StepOutcome> {
  try {
    const roots = rootsFromEnv();
    const data = parseStageJob(job.data, job.id);
    if (data.step.kind === 'embed') throw new Error('embed merge jobs belong on the control queue');
    const config = await pipelineFromPayload(data.pipeline, `job ${job.id}`, roots);
    return await runStep(data.step, config, {
      outRoot: config.out,
      ...(signal ? { signal } : {}),
      onProgress: throttled((progress) => void job.updateProgress({ ...progress }).catch(() => {})),
    });
  } catch (error) {
    throw toJobError(error);
  }
}

/** Forwards at most one progress report per 250 ms (each one is a Redis round trip). */
function throttled(send: (progress: StageProgress) => void): (progress: StageProgress) => void {
  let last = 0;
  return (progress) => {
    const now = Date.now();
    if (progress.fraction >= 1 || now - last >= 250) {
      last = now;
      send(progress);
    }
  };
}
