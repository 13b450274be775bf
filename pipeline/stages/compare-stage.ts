/**
 * Compare: the A/B evaluation of hand-crafted features, MeLES embeddings and both together
 * (downstream/compare.ts), written as report.json/.md/.html. The embed stage's part files are
 * streamed into one scratch Arrow file first, because a feature set is a list of files joined
 * on the client id, while parts are row ranges of one table.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { openRecordBatches } from '../../data/arrow-source.js';
import { writeArrowFile } from '../../data/arrow-sink.js';
import { compareFeatureSets } from '../../downstream/evaluation/compare.js';
import { writeCompareReport } from '../../report/comparison-files.js';
import { MANIFEST_FILE, readManifest } from '../manifest.js';
import type { PipelineTarget } from '../pipeline-config.js';
import { stageDir, type StageDefinition } from '../stage.js';
import { FEATURES_FILE } from './features-stage.js';
import { partitionedStageOutput } from './partitioned-stages.js';

/** What the comparison depends on. */
export interface CompareParams {
  /** Label file (Arrow or CSV). */
  readonly targetsPath: string;
  /** Client id column in the label and feature files. */
  readonly idColumn: string;
  /** Targets to predict. */
  readonly targets: readonly PipelineTarget[];
  /** Cross-validation folds. @defaultValue the evaluator's default (5) */
  readonly folds?: number;
  /** Seed of splits and LightGBM. @defaultValue the evaluator's default */
  readonly seed?: number;
  /** Trees per model. @defaultValue the reference's per target kind */
  readonly numIterations?: number;
}

const scoreSchema = z.object({ set: z.string(), target: z.string(), metric: z.string(), mean: z.number(), halfWidth: z.number().nullable() });
const resultSchema = z.object({ scores: z.array(scoreSchema) });

/** The comparison's headline scores (test-part means of each set's primary metric). */
export type CompareStageResult = z.infer<typeof resultSchema>;

/** The compare stage. */
export const compareStage: StageDefinition<CompareParams, CompareStageResult> = {
  name: 'compare',
  resultSchema,
  inputs: (params, outRoot) => ({
    targets: params.targetsPath,
    embed: join(stageDir(outRoot, 'embed'), MANIFEST_FILE),
    features: join(stageDir(outRoot, 'features'), MANIFEST_FILE),
  }),
  async run(params, ctx) {
    const scratch = join(ctx.outRoot, `.scratch-compare-${ctx.key.slice(0, 16)}`);
    await mkdir(scratch, { recursive: true });
    try {
      // Over partitioned data the stages wrote partitioned outputs, which readers take like one file.
      let embeddings = await partitionedStageOutput(ctx.outRoot, 'embed');
      if (embeddings === undefined) {
        embeddings = join(scratch, 'embeddings.arrow');
        await writeArrowFile(embeddings, embeddingBatches(stageDir(ctx.outRoot, 'embed')));
      }
      const features = (await partitionedStageOutput(ctx.outRoot, 'features')) ?? join(stageDir(ctx.outRoot, 'features'), FEATURES_FILE);
      let trained = 0;
      const result = await compareFeatureSets({
        targetsPath: params.targetsPath,
        idColumn: params.idColumn,
        targets: params.targets.map((t) => ({ column: t.name, kind: t.kind })),
        featureSets: [
          { name: 'handcrafted', paths: [features] },
          { name: 'meles', paths: [embeddings] },
          { name: 'both', paths: [features, embeddings] },
        ],
        baseline: 'handcrafted',
        ...(params.folds !== undefined ? { folds: params.folds } : {}),
        ...(params.seed !== undefined ? { seed: params.seed } : {}),
        ...(params.numIterations !== undefined ? { numIterations: params.numIterations } : {}),
        signal: ctx.signal,
        onProgress: (message) => ctx.progress({ fraction: Math.min(0.99, ++trained / (3 * params.targets.length * (params.folds ?? 5))), message }),
      });
      await writeCompareReport(result, ctx.workDir);
      return {
        scores: result.results.map((r) => ({
          set: r.set,
          target: r.target,
          metric: r.metrics[0]!.metric,
          mean: r.metrics[0]!.test.mean,
          halfWidth: Number.isFinite(r.metrics[0]!.test.halfWidth) ? r.metrics[0]!.test.halfWidth : null,
        })),
      };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  },
};

/** Every record batch of the embed directory's parts, in part order. */
async function* embeddingBatches(embedDir: string) {
  const manifest = await readManifest(embedDir);
  const parts = z.object({ parts: z.array(z.string()) }).parse(manifest?.result).parts;
  for (const part of parts) yield* openRecordBatches(join(embedDir, part));
}
