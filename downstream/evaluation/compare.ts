/**
 * `compareFeatureSets`: the A/B comparison behind `meles compare`. Evaluates every feature set on
 * every target with the same splits; report/comparison-files.ts writes the result as `report.json`
 * (the {@link CompareResult} itself), `report.md` and a self-contained `report.html`.
 */
import { evaluateFeatureSets } from './evaluate.js';
import type { EvaluateOptions, EvaluationResult, FeatureSetSpec } from './evaluate-types.js';

/** Options of {@link compareFeatureSets}: the evaluation options (the sets are the table's rows). */
export type CompareOptions = EvaluateOptions;

/** An evaluation plus the inputs it was run on, as written to `report.json`. */
export interface CompareResult extends EvaluationResult {
  /** Label file. */
  readonly targetsPath: string;
  /** Client id column. */
  readonly idColumn: string;
  /** The compared sets, in table order. */
  readonly featureSets: readonly FeatureSetSpec[];
  /** Baseline set of the t-tests, if any. */
  readonly baseline?: string;
  /** When the comparison finished (ISO 8601). */
  readonly finishedAt: string;
}

/** Evaluates every set on every target (see `evaluateFeatureSets`). */
export async function compareFeatureSets(options: CompareOptions): Promise<CompareResult> {
  const result = await evaluateFeatureSets(options);
  return {
    targetsPath: options.targetsPath,
    idColumn: options.idColumn,
    featureSets: options.featureSets,
    ...(options.baseline === undefined ? {} : { baseline: options.baseline }),
    finishedAt: new Date().toISOString(),
    ...result,
  };
}
