/**
 * The sequence-model rows of an experiment (supervised from scratch, MeLES / CPC fine-tuned): each
 * runs the comparison's protocol through `evaluateSequenceModel` (one model per fold and target,
 * the same split plan and fingerprints as the LightGBM rows) and joins the comparison as an
 * included evaluation, like `meles compare --include`. A finished row is cached in
 * `DIR/models/<hash>/` keyed by its content: the data and label files' hashes, the pretrained
 * model's train-stage key (its data and options), the training options and the protocol. So a
 * re-run, or the other experiment asking for the same row (label-fraction at 100% and models),
 * trains nothing.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hashJson } from '../../data/canonical-json.js';
import { readIncludedEvaluation, type IncludedEvaluation } from '../../downstream/evaluation/included-evaluation.js';
import { ConfigError } from '../../errors.js';
import type { FinetuneOptions } from '../../training/labelled/train-labelled.js';
import { resolveTrainingOptions, type TrainingOptions } from '../../training/training-options.js';
import { hashFile } from '../hashing.js';
import { readManifest } from '../manifest.js';
import { stageDir } from '../stage.js';
import { evaluateSequenceModel, type ModelInit } from '../workflows/neural-evaluation.js';
import type { ResolvedData } from './experiment-data.js';
import type { ExperimentScale, LabelledModel } from './experiment-types.js';
import type { Note, TrainedVariant } from './variant-training.js';

/** Protocol settings every row of one comparison shares. */
export interface RowProtocol {
  readonly folds: number;
  readonly seed: number;
  /** Labelled fraction; undefined = every label (not recorded, as `meles compare` without the flag). */
  readonly labelFraction?: number;
}

/** A finished (or reused) model row. */
export interface EvaluatedModelRow {
  /** The row's evaluation, ready for `compareFeatureSets({ include })`. */
  readonly included: IncludedEvaluation;
  /** Its directory (`evaluation.json`, `folds/`). */
  readonly dir: string;
  /** The training options of every fold model. */
  readonly training: TrainingOptions;
  /** Fine-tuning learning rates; undefined from scratch. */
  readonly finetune?: Partial<FinetuneOptions>;
  /** True when an earlier run's evaluation was reused. */
  readonly reused: boolean;
  /** Wall time spent now (s). */
  readonly seconds: number;
}

/** Inputs of {@link evaluateModelRow}. */
export interface ModelRowInput {
  /** Experiment output directory. */
  readonly root: string;
  readonly data: ResolvedData;
  readonly scale: ExperimentScale;
  /** Row name in the table. */
  readonly name: string;
  readonly model: LabelledModel;
  /** The trained self-supervised model a fine-tuned row starts from (undefined for `supervised`). */
  readonly pretrained?: TrainedVariant;
  readonly protocol: RowProtocol;
  readonly note: Note;
}

/** The fold models' training options at `scale` (seeded like the self-supervised trainings). */
export function labelledTraining(scale: ExperimentScale, model: LabelledModel): { training: TrainingOptions; finetune?: Partial<FinetuneOptions> } {
  const l = scale.labelled;
  const common = { method: 'supervised', seed: scale.seed, splitter: { kind: 'slices', splitCount: 1, cntMin: l.sliceMin, cntMax: l.sliceMax } } as const;
  if (model.kind === 'supervised') {
    // The same architecture as the default MeLES encoder, so the rows differ by training alone.
    const training = resolveTrainingOptions('the supervised experiment row', { ...common, epochs: l.supervisedEpochs, learningRate: l.supervisedLearningRate, encoder: { hidden: scale.hidden } });
    return { training };
  }
  // The encoder options are the pretrained model's; the learning rate is the head's.
  const training = resolveTrainingOptions('the fine-tuned experiment row', { ...common, epochs: l.finetuneEpochs, learningRate: l.headLearningRate });
  return { training, finetune: { encoderLearningRate: l.encoderLearningRate, headLearningRate: l.headLearningRate, standardizeEmbedding: l.standardizeEmbedding } };
}

/** Evaluates (or reuses) one model row; see the module comment. */
export async function evaluateModelRow(input: ModelRowInput): Promise<EvaluatedModelRow> {
  const { data, model, name, protocol } = input;
  const started = performance.now();
  const { training, finetune } = labelledTraining(input.scale, model);
  const init: ModelInit = model.kind === 'supervised' ? { kind: 'scratch' } : { kind: 'pretrained', modelDir: pretrainedDir(input) };
  const key = {
    name,
    init: model.kind === 'supervised' ? 'scratch' : await pretrainedKey(input),
    training,
    finetune: finetune ?? null,
    protocol: { folds: protocol.folds, seed: protocol.seed, testFraction: 0.1, labelFraction: protocol.labelFraction ?? 1 },
    data: await hashFile(data.transactions),
    schema: model.kind === 'supervised' ? data.schema : null,
    labels: await hashFile(data.targetsPath),
    idColumn: data.idColumn,
    targets: data.targets,
  };
  const dir = join(input.root, 'models', hashJson(key).slice(0, 16));
  const earlier = await readIncludedEvaluation(dir).catch(() => undefined);
  if (earlier !== undefined) {
    input.note(`${name}: reusing ${dir}`);
    return { included: earlier, dir, training, ...(finetune === undefined ? {} : { finetune }), reused: true, seconds: 0 };
  }
  // evaluation.json is written last; without it any fold models are from an interrupted run.
  await rm(dir, { recursive: true, force: true });
  await evaluateSequenceModel({
    dataPath: data.transactions,
    ...(model.kind === 'supervised' ? { schema: data.schema } : {}),
    targetsPath: data.targetsPath,
    idColumn: data.idColumn,
    targets: data.targets,
    init,
    name,
    training,
    ...(finetune === undefined ? {} : { finetune }),
    folds: protocol.folds,
    seed: protocol.seed,
    ...(protocol.labelFraction === undefined ? {} : { labelFraction: protocol.labelFraction }),
    outDir: dir,
    onProgress: input.note,
  });
  return { included: await readIncludedEvaluation(dir), dir, training, ...(finetune === undefined ? {} : { finetune }), reused: false, seconds: (performance.now() - started) / 1000 };
}

function pretrainedDir(input: ModelRowInput): string {
  if (input.pretrained === undefined) throw new ConfigError(`Row \`${input.name}\` fine-tunes a model, but none was trained for it`);
  return input.pretrained.modelDir;
}

/** The pretrained model's identity: its train stage's manifest key (data content and options). */
async function pretrainedKey(input: ModelRowInput): Promise<string> {
  const dir = pretrainedDir(input);
  const manifest = await readManifest(stageDir(input.pretrained!.dir, 'train'));
  if (manifest === undefined) throw new ConfigError(`${dir}: the pretrained model of \`${input.name}\` has no train-stage manifest`);
  return manifest.key;
}
