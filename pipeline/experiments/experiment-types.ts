/**
 * The types of `meles experiment`: experiment names, scales, and variants described as data (a
 * typed table in catalogue.ts, not string dispatch). A variant is one row of a lecture table: the
 * feature sources LightGBM sees, each a MeLES training with changed options, the hand-crafted
 * aggregates, or an untrained encoder.
 */
import type { PublishedScore } from '../../report/experiment-table.js';
import type { TrainingConfigInput } from '../../training/training-options.js';

/** Every experiment `meles experiment NAME` knows, in help order. */
export const EXPERIMENT_NAMES = ['pairs', 'losses', 'negatives', 'encoders', 'embedding-size', 'models', 'label-fraction'] as const;
/** An experiment name. */
export type ExperimentName = (typeof EXPERIMENT_NAMES)[number];

/** Scales users choose; `tiny` exists for tests and is accepted but not advertised. */
export const SCALE_NAMES = ['small', 'full', 'tiny'] as const;
/** A scale name. */
export type ScaleName = (typeof SCALE_NAMES)[number];

/** How large every training and evaluation of an experiment is. */
export interface ExperimentScale {
  /** Synthetic clients generated (ignored with the user's data). */
  readonly clients: number;
  /** Training epochs of every MeLES variant. */
  readonly epochs: number;
  /** GRU hidden size (= embedding width) of the default variant. */
  readonly hidden: number;
  /** Most events per view of the default slices splitter (the synthetic sequences hold 100–300). */
  readonly viewMax: number;
  /** Embedding sizes of the `embedding-size` experiment. */
  readonly hiddenSizes: readonly number[];
  /** LightGBM trees per model; undefined = the reference 1000 (multiclass) / 500 (binary). */
  readonly trees?: number;
  /** LightGBM learning rate; undefined = the reference 0.02 (tuned for the reference tree counts). */
  readonly learningRate?: number;
  /** Seed of the data, every training and the evaluation. */
  readonly seed: number;
  /** Cross-validation folds of every comparison (the lecture's 5; fewer only for tests). @defaultValue `5` */
  readonly folds?: number;
  /** The sequence models trained on labels (supervised, fine-tuned rows). */
  readonly labelled: LabelledScale;
  /** Labelled fractions of the `label-fraction` experiment, ascending, ending at 1. */
  readonly labelFractions: readonly number[];
}

/**
 * How the supervised and fine-tuned rows train (training/labelled): one model per fold and target,
 * each on one random slice per client and epoch (ptls `RandomSlice`), predicting on the whole sequence.
 */
export interface LabelledScale {
  /** Epochs of the supervised model from scratch (ptls: 35 at lr 0.01 with a halving schedule). */
  readonly supervisedEpochs: number;
  /** Adam learning rate of the supervised model. */
  readonly supervisedLearningRate: number;
  /** Fine-tuning epochs (ptls: 13). */
  readonly finetuneEpochs: number;
  /** Adam learning rate of the pretrained encoder while fine-tuning (ptls: 1e-4). */
  readonly encoderLearningRate: number;
  /** Adam learning rate of the new head while fine-tuning (ptls: 2e-3). */
  readonly headLearningRate: number;
  /** Fine-tuning standardises the embedding before the head (training/labelled `standardizeEmbedding`; ptls `Head(use_batch_norm=True)`). */
  readonly standardizeEmbedding: boolean;
  /** Fewest events of a training slice. */
  readonly sliceMin: number;
  /** Most events of a training slice. */
  readonly sliceMax: number;
}

/** One feature source of a variant; a set joins its sources on the client id. */
export type FeatureSource =
  /**
   * Embeddings of a self-supervised training whose options are the scale's base (MeLES) with
   * `train` merged over it (`{method: 'cpc'}` makes it CPC).
   */
  | { readonly kind: 'trained'; readonly train: TrainingConfigInput }
  /** The hand-crafted aggregates (`meles features`), computed once per data set. */
  | { readonly kind: 'handcrafted' }
  /** An untrained encoder with the default training's architecture (the lecture's "random GRU"). */
  | { readonly kind: 'random-encoder' };

/**
 * A sequence model trained on the labels, one per fold (pipeline/workflows/neural-evaluation.ts):
 * from scratch, or a self-supervised training (the scale's base with `from` merged over it)
 * fine-tuned with a new head.
 */
export type LabelledModel =
  | { readonly kind: 'supervised' }
  | { readonly kind: 'fine-tuned'; readonly from: TrainingConfigInput };

/** What every row has. */
interface VariantBase {
  /** Row label, as the lecture names the method. */
  readonly set: string;
  /** What changes against the default, for the page. */
  readonly description: string;
  /** The published numbers of the same method. @defaultValue undefined (none) */
  readonly published?: PublishedScore;
  /** The default row: the others are t-tested against it. Exactly one per experiment, a LightGBM row. @defaultValue `false` */
  readonly isDefault?: boolean;
}

/** A LightGBM row: the model sees feature files. */
export interface FeatureVariant extends VariantBase {
  /** What LightGBM sees (joined on the id). Minimum: one. */
  readonly sources: readonly FeatureSource[];
  readonly model?: never;
}

/** A sequence-model row, merged into the comparison like `meles compare --include`. */
export interface ModelVariant extends VariantBase {
  /** The model trained on the labels. */
  readonly model: LabelledModel;
  readonly sources?: never;
}

/** One row of an experiment table. */
export type ExperimentVariant = FeatureVariant | ModelVariant;

/** One experiment: its page title, the lecture's method header and its rows at a scale. */
export interface ExperimentDefinition {
  /** Page and section title. */
  readonly title: string;
  /** Header of the method column, as in the lecture. */
  readonly methodHeader: string;
  /** The rows at `scale`. */
  readonly variants: (scale: ExperimentScale) => readonly ExperimentVariant[];
  /** Why the experiment cannot run in this build; undefined when it can. @defaultValue undefined */
  readonly unavailable?: string;
  /**
   * Run one comparison per labelled fraction of the scale (`labelFractions`) instead of one with
   * every label; the self-supervised trainings are shared (they never see labels). @defaultValue `false`
   */
  readonly byLabelFraction?: boolean;
  /**
   * Rows of the lecture's table this build cannot produce yet: shown with their published numbers
   * and `–` measured cells, so the table keeps the lecture's shape. @defaultValue `[]`
   */
  readonly pending?: readonly PendingRow[];
}

/** A lecture row waiting for an API (see {@link ExperimentDefinition.pending}). */
export interface PendingRow {
  /** Row label. */
  readonly set: string;
  /** Why it is not measured, e.g. `not available yet: needs training/labelled (supervised)`. */
  readonly description: string;
  /** The published numbers. */
  readonly published: PublishedScore;
}
