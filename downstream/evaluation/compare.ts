/**
 * `compareFeatureSets`: the A/B comparison behind `meles compare`. Evaluates every feature set on
 * every target with the same splits, adds the rows of included evaluations (neural models from
 * `meles evaluate-model`, checked to share the splits) and t-tests every row against the baseline;
 * report/comparison-files.ts writes the result as `report.json` (the {@link CompareResult} itself),
 * `report.md` and a self-contained `report.html`.
 */
import { ConfigError } from '../../errors.js';
import { compareWithBaseline } from './baseline-tests.js';
import { evaluateFeatureSets } from './evaluate.js';
import type { EvaluateOptions, EvaluationResult, FeatureSetSpec } from './evaluate-types.js';
import { checkIncludedBeforeRun, checkIncludedSplit, type IncludedEvaluation } from './included-evaluation.js';
import { expectLabelFraction } from './label-fraction.js';

/** Options of {@link compareFeatureSets}: the evaluation options (the sets are the table's rows) plus included rows. */
export interface CompareOptions extends EvaluateOptions {
  /**
   * Evaluations run elsewhere under the same protocol whose rows join the table (`--include`).
   * The baseline may be one of their rows. @defaultValue `[]`
   */
  readonly include?: readonly IncludedEvaluation[];
}

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
  /** The included evaluations and the rows each added (after the feature sets' rows). */
  readonly included?: readonly { readonly path: string; readonly sets: readonly string[] }[];
  /** When the comparison finished (ISO 8601). */
  readonly finishedAt: string;
}

/** Evaluates every set on every target (see `evaluateFeatureSets`) and merges the included rows. */
export async function compareFeatureSets(options: CompareOptions): Promise<CompareResult> {
  const include = options.include ?? [];
  const setNames = options.featureSets.map((s) => s.name);
  if (include.length > 0) {
    checkIncludedBeforeRun(
      { folds: options.folds ?? 5, testFraction: options.testFraction ?? 0.1, seed: options.seed ?? 42, labelFraction: expectLabelFraction(options.labelFraction ?? 1) },
      options.targets,
      setNames,
      include,
    );
  }
  const includedSets = include.flatMap((i) => [...new Set(i.result.results.map((r) => r.set))]);
  const baseline = options.baseline;
  if (baseline !== undefined && !setNames.includes(baseline) && !includedSets.includes(baseline)) {
    throw new ConfigError(`The baseline \`${baseline}\` is not one of the rows (${[...setNames, ...includedSets].join(', ')})`);
  }
  const result = await evaluateFeatureSets({
    ...options,
    // An included baseline is t-tested against below, once its rows are merged.
    baseline: baseline !== undefined && setNames.includes(baseline) ? baseline : undefined,
    checkSplit: (split) => {
      options.checkSplit?.(split);
      checkIncludedSplit(split, include);
    },
  });
  const results = [...result.results, ...include.flatMap((i) => i.result.results)];
  return {
    targetsPath: options.targetsPath,
    idColumn: options.idColumn,
    featureSets: options.featureSets,
    ...(baseline === undefined ? {} : { baseline }),
    ...(include.length === 0 ? {} : { included: include.map((i) => ({ path: i.path, sets: [...new Set(i.result.results.map((r) => r.set))] })) }),
    finishedAt: new Date().toISOString(),
    ...result,
    results,
    comparisons: compareWithBaseline(results, baseline),
    warnings: [...result.warnings, ...include.flatMap((i) => i.result.warnings.map((w) => `included ${i.path}: ${w}`))],
  };
}
