/**
 * Score: a model directory's predictions (`scoreModel`) for every client of the pipeline's own
 * feature sets, written as `predictions.arrow` keyed by the data's id column. The model is the
 * fit stage's output or any `meles fit --out` directory.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { scoreModel } from '../../downstream/scoring/score-model.js';
import { MANIFEST_FILE } from '../manifest.js';
import type { FeatureSetName } from '../pipeline-config.js';
import { stageDir, type StageDefinition } from '../stage.js';
import { setInputs, withSetFiles } from './fit-stage.js';

/** What the scoring depends on. */
export interface ScoreParams {
  /** A model directory; the fit stage's output when absent. @defaultValue `<out>/fit` */
  readonly modelDir?: string;
  /** Feature sets, one per feature file of the fit and in the same order. */
  readonly sets: readonly FeatureSetName[];
  /** Client id column of the feature files (and of the predictions). */
  readonly idColumn: string;
}

const resultSchema = z.object({ rows: z.number(), columns: z.array(z.string()) });

/** The score stage's result. */
export type ScoreStageResult = z.infer<typeof resultSchema>;

/** The predictions file inside the stage directory. */
export const PREDICTIONS_FILE = 'predictions.arrow';

/** The score stage. */
export const scoreStage: StageDefinition<ScoreParams, ScoreStageResult> = {
  name: 'score',
  resultSchema,
  inputs: (params, outRoot) => ({
    // The own fit by its manifest (which hashes its outputs); another model by its directory's files.
    model: params.modelDir ?? join(stageDir(outRoot, 'fit'), MANIFEST_FILE),
    ...setInputs(params.sets, outRoot),
  }),
  async run(params, ctx) {
    ctx.progress({ fraction: 0, message: 'scoring' });
    const model = params.modelDir ?? stageDir(ctx.outRoot, 'fit');
    const result = await withSetFiles(params.sets, ctx.outRoot, ctx.key, (features) =>
      scoreModel({ model, features, out: join(ctx.workDir, PREDICTIONS_FILE), idColumn: params.idColumn }),
    );
    for (const warning of result.warnings) ctx.progress({ fraction: 0.99, message: warning });
    ctx.progress({ fraction: 1, message: `${result.rows} clients scored` });
    return { rows: result.rows, columns: [...result.columns] };
  },
};
