/**
 * One MeLES training of an experiment, run as an in-process pipeline (ingest → train → embed) in a
 * directory named by the hash of its complete training options: two experiments (or two runs)
 * asking for the same training share it, and the stages' manifests skip it when data and options
 * are unchanged. Also the shared hand-crafted features (ingest → features, once per data set).
 */
import { join } from 'node:path';
import { hashJson } from '../../data/canonical-json.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import type { TrainingConfigInput } from '../../training/training-options.js';
import { parsePipelineConfig, type PipelineConfig } from '../pipeline-config.js';
import { runStep } from '../run-step.js';
import { stageDir } from '../stage.js';
import { partFileName } from '../stages/embed-stages.js';
import { FEATURES_FILE } from '../stages/features-stage.js';
import { MODEL_SUBDIR } from '../stages/train-stage.js';
import { planPipeline, stepLabel, type PipelineStep } from '../steps.js';

/** The data a training reads. */
export interface ExperimentData {
  /** Transactions file. */
  readonly transactions: string;
  /** Its schema mapping. */
  readonly schema: SchemaMapping;
}

/** A finished (or reused) training and its embeddings. */
export interface TrainedVariant {
  /** The pipeline's output root. */
  readonly dir: string;
  /** The trained model directory. */
  readonly modelDir: string;
  /** Embeddings of every client (Arrow). */
  readonly embeddings: string;
  /** True when every stage was up to date and nothing ran. */
  readonly reused: boolean;
  /** Wall time of the stages that ran (s). */
  readonly seconds: number;
}

/** Reports a detail of the running step. */
export type Note = (message: string) => void;

/** Merges `overrides` over `base` (later wins; `encoder` field by field), as `resolveTrainingOptions` merges layers. */
export function mergeTraining(base: TrainingConfigInput, overrides: TrainingConfigInput): TrainingConfigInput {
  return { ...base, ...overrides, encoder: { ...asRecord(base.encoder), ...asRecord(overrides.encoder) } };
}

/** The directory of the training with options `train` under `root` (`variants/<hash>`). */
export function variantDir(root: string, train: TrainingConfigInput): string {
  return join(root, 'variants', hashJson(train).slice(0, 16));
}

/** Trains (or reuses) the MeLES model `train` describes and embeds every client with it. */
export async function trainVariant(root: string, data: ExperimentData, train: TrainingConfigInput, note: Note): Promise<TrainedVariant> {
  const dir = variantDir(root, train);
  const config = pipelineOf(data, dir, train);
  // The features step is left out: the hand-crafted features do not depend on the training.
  const run = await runSteps(config, planPipeline(config).filter((s) => s.kind !== 'features'), note);
  return {
    dir,
    modelDir: join(stageDir(dir, 'train'), MODEL_SUBDIR),
    embeddings: join(stageDir(dir, 'embed'), partFileName(0)),
    ...run,
  };
}

/** Computes (or reuses) the hand-crafted features of `data` under `root/features/<hash>`. */
export async function handcraftedFeatures(root: string, data: ExperimentData, note: Note): Promise<{ path: string; reused: boolean; seconds: number }> {
  const dir = join(root, 'features', hashJson({ data: data.transactions, schema: data.schema }).slice(0, 16));
  const config = pipelineOf(data, dir, {});
  const run = await runSteps(config, planPipeline(config).filter((s) => s.kind === 'ingest' || s.kind === 'features'), note);
  return { path: join(stageDir(dir, 'features'), FEATURES_FILE), ...run };
}

function pipelineOf(data: ExperimentData, out: string, train: TrainingConfigInput): PipelineConfig {
  // One embed shard: experiment data sets are small and the comparison reads one part file.
  const raw = { name: 'experiment', data: data.transactions, schema: { ...data.schema }, out, train, embed: { shards: 1 } };
  return parsePipelineConfig(raw, `experiment training in ${out}`, out);
}

async function runSteps(config: PipelineConfig, steps: readonly PipelineStep[], note: Note): Promise<{ reused: boolean; seconds: number }> {
  let reused = true;
  let ms = 0;
  for (const step of steps) {
    const outcome = await runStep(step, config, {
      outRoot: config.out,
      onProgress: (p) => {
        if (p.message) note(`${stepLabel(step)}: ${p.message}`);
      },
    });
    reused &&= outcome.skipped;
    ms += outcome.durationMs;
  }
  return { reused, seconds: ms / 1000 };
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
