/**
 * Fit: one LightGBM model of a pipeline target on the pipeline's own feature sets (hand-crafted
 * features and/or MeLES embeddings) with `fitModel`, written as a model directory (`model.txt`,
 * `fit.json`) that the score stage, `meles score` or another pipeline's score stage applies.
 * Also exports how a list of sets becomes feature files, which the score stage shares.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { openRecordBatches } from '../../data/arrow-source.js';
import { writeArrowFile } from '../../data/arrow-sink.js';
import { fitModel } from '../../downstream/scoring/fit-model.js';
import { MANIFEST_FILE, readManifest } from '../manifest.js';
import type { FeatureSetName, PipelineTarget } from '../pipeline-config.js';
import { stageDir, type StageDefinition } from '../stage.js';
import { FEATURES_FILE } from './features-stage.js';
import { partitionedStageOutput } from './partitioned-stages.js';

/** What the fit depends on. */
export interface FitParams {
  /** Label file (Arrow or CSV). */
  readonly targetsPath: string;
  /** Client id column in the label and feature files. */
  readonly idColumn: string;
  /** The target to predict and its kind. */
  readonly target: PipelineTarget;
  /** Feature sets, joined on the id column in this order. */
  readonly sets: readonly FeatureSetName[];
  /** Boosting iterations. @defaultValue the reference's per target kind */
  readonly trees?: number;
  /** LightGBM seed. @defaultValue `42` */
  readonly seed?: number;
}

const resultSchema = z.object({
  target: z.string(),
  kind: z.string(),
  rows: z.number(),
  features: z.number(),
  trees: z.number(),
  // What `meles fit` prints as warnings (dropped ids, a lowered leaf minimum), kept in the manifest
  // so a skipped run still reports them. Required: a manifest written before it had them is run
  // again once rather than read back as "no warnings".
  warnings: z.array(z.string()),
  /** The leaf minimum capped for a small training set (`fitModel`'s `leafMinimum`), else `null`. */
  leafMinimum: z.object({ from: z.number(), to: z.number(), trainRows: z.number() }).nullable(),
});

/** The fit stage's result. */
export type FitStageResult = z.infer<typeof resultSchema>;

/** Manifest inputs of the stages that produce `sets`, by set name. */
export function setInputs(sets: readonly FeatureSetName[], outRoot: string): Record<string, string> {
  return Object.fromEntries(sets.map((set) => [set, join(stageDir(outRoot, set), MANIFEST_FILE)]));
}

/**
 * Runs `body` with one Arrow file per set, in order: `<out>/features/features.arrow`, and the embed
 * stage's only part, or its parts streamed into one scratch file (removed afterwards) when there
 * are several, since a feature file is joined on the id while parts are row ranges of one table.
 * Over partitioned data a set is the stage's partitioned output (its `parts/manifest.json`).
 */
export async function withSetFiles<T>(sets: readonly FeatureSetName[], outRoot: string, key: string, body: (files: string[]) => Promise<T>): Promise<T> {
  const scratch = join(outRoot, `.scratch-sets-${key.slice(0, 16)}`);
  try {
    const files: string[] = [];
    for (const set of sets) {
      // Over partitioned data a stage wrote a partitioned output, which readers take like one file.
      const partitioned = await partitionedStageOutput(outRoot, set);
      if (partitioned !== undefined) {
        files.push(partitioned);
        continue;
      }
      if (set === 'features') {
        files.push(join(stageDir(outRoot, 'features'), FEATURES_FILE));
        continue;
      }
      const embedDir = stageDir(outRoot, 'embed');
      const parts = await embedParts(embedDir);
      if (parts.length === 1) {
        files.push(join(embedDir, parts[0]!));
      } else {
        await mkdir(scratch, { recursive: true });
        const merged = join(scratch, 'embeddings.arrow');
        await writeArrowFile(merged, partBatches(embedDir, parts));
        files.push(merged);
      }
    }
    return await body(files);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The fit stage. */
export const fitStage: StageDefinition<FitParams, FitStageResult> = {
  name: 'fit',
  resultSchema,
  inputs: (params, outRoot) => ({ targets: params.targetsPath, ...setInputs(params.sets, outRoot) }),
  async run(params, ctx) {
    ctx.progress({ fraction: 0, message: `fitting ${params.target.name}` });
    const { fit, warnings, leafMinimum } = await withSetFiles(params.sets, ctx.outRoot, ctx.key, (features) =>
      fitModel({
        features,
        targets: params.targetsPath,
        idColumn: params.idColumn,
        target: { column: params.target.name, kind: params.target.kind },
        out: ctx.workDir,
        ...(params.trees !== undefined ? { trees: params.trees } : {}),
        ...(params.seed !== undefined ? { seed: params.seed } : {}),
        onProgress: (message) => ctx.progress({ fraction: 0.5, message }),
      }),
    );
    for (const warning of warnings) ctx.progress({ fraction: 0.99, message: `warning: ${warning}` });
    ctx.progress({ fraction: 1, message: `${fit.rows} clients × ${fit.features.length} features` });
    return {
      target: fit.target, kind: fit.kind, rows: fit.rows, features: fit.features.length, trees: fit.trees,
      warnings: [...warnings],
      leafMinimum: leafMinimum === null ? null : { ...leafMinimum },
    };
  },
};

async function embedParts(embedDir: string): Promise<string[]> {
  const manifest = await readManifest(embedDir);
  return z.object({ parts: z.array(z.string()).min(1) }).parse(manifest?.result).parts;
}

async function* partBatches(embedDir: string, parts: readonly string[]) {
  for (const part of parts) yield* openRecordBatches(join(embedDir, part));
}
