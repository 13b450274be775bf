/**
 * Train: reads the data with ingest's vocabularies and trains the MeLES encoder (training/).
 * Training runs in a scratch directory named by the manifest key, outside the stage's temp
 * directory, so a run interrupted by shutdown keeps its per-epoch checkpoint and the next attempt
 * with the same inputs and config resumes from it; only a finished model is moved into place.
 */
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import { loadVocabularies } from '../../data/vocabulary.js';
import { MelesError } from '../../errors.js';
import { checkpointDir } from '../../training/checkpoint.js';
import { trainFromFile } from '../../training/train-from-file.js';
import type { TrainingConfigInput } from '../../training/training-options.js';
import { MANIFEST_FILE } from '../manifest.js';
import { stageDir, type StageDefinition } from '../stage.js';
import { INGEST_FILES } from './ingest-stage.js';

/** What training depends on. */
export interface TrainParams {
  /** Transactions file. */
  readonly data: string;
  /** Column mapping. */
  readonly schema: SchemaMapping;
  /** Training options as written in the pipeline file (validated by the trainer's resolver). */
  readonly train: TrainingConfigInput;
}

const resultSchema = z.object({
  epochs: z.number(),
  finalLoss: z.number().nullable(),
  recallAt4: z.number().nullable(),
  backend: z.string(),
  embeddingWidth: z.number(),
});

/** The train stage's result. */
export type TrainResultSummary = z.infer<typeof resultSchema>;

/** The model directory inside the train stage directory (`meles embed --model <out>/train/model`). */
export const MODEL_SUBDIR = 'model';

/** Raised when shutdown interrupted training; transient, so BullMQ retries (and resumes). */
export class TrainingInterruptedError extends MelesError {}

/** The train stage. */
export const trainStage: StageDefinition<TrainParams, TrainResultSummary> = {
  name: 'train',
  resultSchema,
  inputs: (params, outRoot) => ({ data: params.data, ingest: join(stageDir(outRoot, 'ingest'), MANIFEST_FILE) }),
  async run(params, ctx) {
    const vocabularies = await loadVocabularies(join(stageDir(ctx.outRoot, 'ingest'), INGEST_FILES.vocabularies));
    ctx.progress({ fraction: 0, message: 'reading' });
    const scratch = join(ctx.outRoot, `.scratch-train-${ctx.key.slice(0, 16)}`);
    const result = await trainFromFile({
      data: params.data,
      schema: params.schema,
      outDir: scratch,
      // The scratch directory is named by the manifest key, so a checkpoint in it was made with these exact inputs.
      resume: 'if-checkpoint',
      config: [params.train],
      configSource: 'pipeline `train`',
      vocabularies,
      signal: ctx.signal,
      onProgress: (p) => ctx.progress({
        fraction: (p.epoch + (p.batch + 1) / p.batches) / p.epochs,
        message: `epoch ${p.epoch + 1}/${p.epochs} loss ${p.loss.toFixed(4)}`,
      }),
    });
    if (result.aborted) throw new TrainingInterruptedError(`Training stopped by shutdown; checkpoint kept in ${scratch} and resumed on retry`);
    // The checkpoint is only needed to resume; the finished model directory is what stages read.
    await rm(checkpointDir(scratch), { recursive: true, force: true });
    await rename(scratch, join(ctx.workDir, MODEL_SUBDIR));
    const last = result.epochs.at(-1);
    return {
      // After a resume the history holds only this attempt's epochs; the count is the model's.
      epochs: last ? last.epoch + 1 : result.options.epochs,
      finalLoss: last?.loss ?? null,
      recallAt4: last?.recallAt4 ?? null,
      backend: result.backend,
      embeddingWidth: result.embeddingWidth,
    };
  },
};
