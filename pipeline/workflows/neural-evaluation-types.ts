/**
 * What `meles evaluate-model` writes as `evaluation.json`: the `EvaluationResult` shape of
 * `evaluateFeatureSets` (protocol, splits with fingerprints, rows; `meles compare --include` reads
 * it back) plus how the rows were made. Kept apart from the runner so readers import the type alone.
 */
import type { EvaluationProtocol, EvaluationResult } from '../../downstream/evaluation/evaluate-types.js';
import type { FinetuneOptions } from '../../training/labelled/train-labelled.js';
import type { TrainingOptions } from '../../training/training-options.js';

/** The result of `evaluateSequenceModel`, as written to `evaluation.json`. */
export interface ModelEvaluationResult extends EvaluationResult<EvaluationProtocol> {
  /** Row name (`supervised`, `fine-tuned` or `--name`). */
  readonly name: string;
  /** Transactions file the models read. */
  readonly dataPath: string;
  /** Label file. */
  readonly targetsPath: string;
  /** Id column of the label file. */
  readonly idColumn: string;
  /** How each fold's model started. */
  readonly init: { readonly kind: 'scratch' } | { readonly kind: 'pretrained'; readonly modelDir: string };
  /** The resolved training options every fold model used. */
  readonly training: TrainingOptions;
  /** The resolved fine-tuning settings (learning rates, freezing, standardisation); absent from scratch. */
  readonly finetune?: FinetuneOptions;
  /** When the evaluation finished (ISO 8601). */
  readonly finishedAt: string;
}
