/**
 * `finetuneFromFile`: the file-level fine-tuning used by `meles finetune`: reads a MeLES or CPC
 * model directory, the transactions file with that model's schema mapping and vocabularies, and a
 * label file; then {@link trainLabelled} with `init: pretrained`. Label problems (missing column,
 * one class, NaN labels, ids not in the data) are DataFormatErrors raised before anything is written.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readTargets, type TargetSpec } from '../../data/label-file.js';
import { readSequences } from '../../data/read-sequences.js';
import type { BackendName } from '../../encoders/backend.js';
import { ConfigError } from '../../errors.js';
import { hasCheckpoint, readCheckpointOptions } from '../checkpoint.js';
import type { EpochMetrics } from '../epoch-metrics.js';
import { loadModelDirectory } from '../model-files.js';
import type { BatchProgress } from '../trainer.js';
import { resolveTrainingOptions, type TrainingConfigInput } from '../training-options.js';
import { labelledClients } from './label-clients.js';
import { type FinetuneOptions, trainLabelled, type TrainLabelledResult } from './train-labelled.js';

/** Inputs of {@link finetuneFromFile}. */
export interface FinetuneFromFileOptions {
  /** The pretrained model directory (MeLES or CPC). */
  readonly model: string;
  /** Transactions file, read with the model's schema mapping and vocabularies. */
  readonly data: string;
  /** Label file, its id column (@defaultValue the model's schema id) and the target. */
  readonly labels: { readonly path: string; readonly idColumn?: string; readonly target: TargetSpec };
  readonly outDir: string;
  /** Option layers above the defaults (`method` is `supervised`, `epochs` 10, the encoder the model's). @defaultValue `[]` */
  readonly config?: readonly TrainingConfigInput[];
  readonly configSource?: string;
  readonly finetune?: Partial<FinetuneOptions>;
  /** Continue from `outDir/checkpoint`. @defaultValue `false` */
  readonly resume?: boolean;
  readonly backend?: BackendName | 'auto';
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BatchProgress) => void;
  readonly onEpoch?: (metrics: EpochMetrics) => void;
}

/** Fine-tunes `model` on the labelled clients of `data` into `outDir`; see the module comment. */
export async function finetuneFromFile(input: FinetuneFromFileOptions): Promise<TrainLabelledResult & { resumed: boolean }> {
  const resume = input.resume === true;
  if (resume && !(await hasCheckpoint(input.outDir))) throw new ConfigError(`--resume: ${input.outDir} has no checkpoint to resume from`);
  if (!existsSync(join(input.model, 'model.json'))) throw new ConfigError(`${input.model}: not a model directory (no model.json); give the directory \`meles train\` wrote`);
  const pretrained = await loadModelDirectory(input.model);
  pretrained.model.dispose();
  const encoder = pretrainedEncoderOptions(pretrained.training);
  const base: TrainingConfigInput = { method: 'supervised', epochs: 10, ...(encoder === undefined ? {} : { encoder }) };
  const saved = resume ? await readCheckpointOptions(input.outDir) : {};
  const options = resolveTrainingOptions(input.configSource ?? 'fine-tuning options', base, saved, ...(input.config ?? []), { method: 'supervised' });
  const { targets } = await readTargets(input.labels.path, input.labels.idColumn ?? pretrained.schema.id, [input.labels.target]);
  const { sequences } = await readSequences(input.data, pretrained.schema, { vocabularies: pretrained.vocabularies });
  const { clients, labels, task } = labelledClients(sequences, targets[0]!, input.labels.path);
  const result = await trainLabelled({
    data: sequences,
    vocabularies: pretrained.vocabularies,
    schema: pretrained.schema,
    clients,
    labels,
    task,
    init: { kind: 'pretrained', modelDir: input.model },
    options,
    finetune: input.finetune ?? {},
    outDir: input.outDir,
    backend: input.backend,
    resume,
    signal: input.signal,
    onProgress: input.onProgress,
    onEpoch: input.onEpoch,
  });
  return { ...result, resumed: resume };
}

/** The encoder options a model directory's training.json records (for the record of the fine-tuned run), if any. */
function pretrainedEncoderOptions(training: unknown): Record<string, unknown> | undefined {
  const encoder = typeof training === 'object' && training !== null ? (training as Record<string, unknown>).encoder : undefined;
  return typeof encoder === 'object' && encoder !== null && !Array.isArray(encoder) ? (encoder as Record<string, unknown>) : undefined;
}
