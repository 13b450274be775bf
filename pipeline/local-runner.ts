/**
 * The in-process runner (`meles pipeline run`): the same steps and stage code as the BullMQ
 * workers, run one after another in this process, with no Redis.
 */
import { isPartitionDirectory } from '../data/partition-manifest.js';
import type { PipelineConfig } from './pipeline-config.js';
import { runStep, type StepOutcome } from './run-step.js';
import type { StageProgress } from './stage.js';
import { planPipeline, type PipelineStep } from './steps.js';

/** Something that happened while running a pipeline, for progress display. */
export type LocalRunEvent =
  | { readonly kind: 'start'; readonly step: PipelineStep }
  | { readonly kind: 'progress'; readonly step: PipelineStep; readonly progress: StageProgress }
  | { readonly kind: 'done'; readonly step: PipelineStep; readonly outcome: StepOutcome };

/** Options of {@link runPipelineLocally}. */
export interface LocalRunOptions {
  /** Called on every step start, progress report and finish. @defaultValue no callback */
  readonly onEvent?: (event: LocalRunEvent) => void;
  /** Stops before the next step (and inside long stages) when aborted. @defaultValue never aborts */
  readonly signal?: AbortSignal;
}

/** One finished step and its outcome. */
export interface LocalRunStep {
  /** The step. */
  readonly step: PipelineStep;
  /** What it did. */
  readonly outcome: StepOutcome;
}

/** Runs every step of `config` in dependency order; stops at the first failure (which is thrown). */
export async function runPipelineLocally(config: PipelineConfig, options: LocalRunOptions = {}): Promise<LocalRunStep[]> {
  const done: LocalRunStep[] = [];
  for (const step of planPipeline(config, { partitioned: await isPartitionDirectory(config.data) })) {
    options.signal?.throwIfAborted();
    options.onEvent?.({ kind: 'start', step });
    const outcome = await runStep(step, config, {
      outRoot: config.out,
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (progress) => options.onEvent?.({ kind: 'progress', step, progress }),
    });
    options.onEvent?.({ kind: 'done', step, outcome });
    done.push({ step, outcome });
  }
  return done;
}
