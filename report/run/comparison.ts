/**
 * Reads the A/B comparison (`report.json` written by `meles compare`) into the rows of the
 * report's table and bars of its chart. Only the fields the report shows are read; anything else
 * in the file (fold scores, p-values, parameters) is ignored.
 */
import { readJsonFile } from '../../data/json-file.js';
import { z } from 'zod';

const summarySchema = z.looseObject({ mean: z.number(), std: z.number().nullable(), halfWidth: z.number().nullable() });

const resultSchema = z.looseObject({
  set: z.string().min(1),
  target: z.string().min(1),
  metrics: z.array(z.looseObject({ metric: z.string().min(1), valid: summarySchema, test: summarySchema })).min(1),
});

/** The part of `EvaluationResult` (downstream/evaluate-types.ts) the report reads. */
const testSchema = z.looseObject({
  set: z.string(),
  baseline: z.string(),
  target: z.string(),
  metric: z.string(),
  part: z.enum(['valid', 'test']),
  test: z.looseObject({ meanDiff: z.number().nullable(), pValue: z.number().nullable() }),
});

const reportSchema = z.looseObject({
  protocol: z.looseObject({ folds: z.number().int() }).optional(),
  results: z.array(resultSchema).min(1),
  comparisons: z.array(testSchema).default([]),
  warnings: z.array(z.string()).default([]),
});

/**
 * Which scores a cell summarises: `valid` are the out-of-fold scores of the cross-validation,
 * `test` the scores of each fold's model on the isolated test part.
 */
export type ScorePart = 'valid' | 'test';

/** One feature set's score on one target's metric. */
export interface ComparisonCell {
  /** Feature set (row of the table), e.g. `meles`. */
  readonly set: string;
  /** Target column, e.g. `age_group`. */
  readonly target: string;
  /** Metric name, e.g. `accuracy` or `auroc`. */
  readonly metric: string;
  /** Mean over cross-validation folds. */
  readonly mean: number;
  /** Sample standard deviation over folds. */
  readonly std: number;
  /** Student-t 95% half-width. */
  readonly halfWidth: number;
  /** Which scores were summarised. */
  readonly part: ScorePart;
}

/** The comparison as the report uses it. */
export interface Comparison {
  /** Feature sets in file order (rows of the table). */
  readonly sets: readonly string[];
  /** (target, metric) pairs in file order (columns of the table). */
  readonly columns: readonly { readonly target: string; readonly metric: string }[];
  /** Every cell of the table. */
  readonly cells: readonly ComparisonCell[];
  /** Cross-validation folds of the protocol, when the file says. */
  readonly folds?: number;
  /** Paired t-tests of each set against the baseline, on the same part as the cells. */
  readonly tests: readonly BaselineTest[];
  /** Warnings the comparison recorded (dropped ids, id-type mismatches). */
  readonly warnings: readonly string[];
}

/** A paired t-test of one set against the comparison's baseline set. */
export interface BaselineTest {
  readonly set: string;
  readonly baseline: string;
  readonly target: string;
  readonly metric: string;
  /** Mean of (set − baseline) over the paired scores; NaN when undefined. */
  readonly meanDiff: number;
  /** Two-sided p-value; NaN when undefined. */
  readonly pValue: number;
}

/**
 * Reads a comparison report (the JSON form of `EvaluationResult`), keeping each set and
 * target's primary metric (the first listed: accuracy for multiclass, AUROC for binary).
 * @param part - which scores to show. @defaultValue `'test'` (as `meles compare`'s report.md and ptls)
 * @throws DataFormatError naming the file and the first invalid field.
 */
export async function readComparison(path: string, part: ScorePart = 'test'): Promise<Comparison> {
  const report = await readJsonFile(path, 'a comparison report', reportSchema);
  const cells = report.results.map(({ set, target, metrics }) => {
    const primary = metrics[0]!;
    const summary = primary[part];
    // With fewer than two folds std and half-width are undefined; NaN shows as such in the table.
    return { set, target, metric: primary.metric, mean: summary.mean, std: summary.std ?? NaN, halfWidth: summary.halfWidth ?? NaN, part };
  });
  const folds = report.protocol?.folds;
  const tests = report.comparisons
    .filter((c) => c.part === part)
    .map((c) => ({ set: c.set, baseline: c.baseline, target: c.target, metric: c.metric, meanDiff: c.test.meanDiff ?? NaN, pValue: c.test.pValue ?? NaN }));
  return { ...summarise(cells), ...(folds === undefined ? {} : { folds }), tests, warnings: report.warnings };
}

/** Groups cells into the table's rows and columns, keeping first-seen order (no tests or warnings). */
export function summarise(cells: readonly ComparisonCell[]): Comparison {
  const sets = [...new Set(cells.map((c) => c.set))];
  const columnKeys = new Map<string, { target: string; metric: string }>();
  for (const c of cells) columnKeys.set(`${c.target}\u0000${c.metric}`, { target: c.target, metric: c.metric });
  return { sets, columns: [...columnKeys.values()], cells, tests: [], warnings: [] };
}

/** The cell of a set on a (target, metric) column, if the comparison has it. */
export function cellAt(comparison: Comparison, set: string, target: string, metric: string): ComparisonCell | undefined {
  return comparison.cells.find((c) => c.set === set && c.target === target && c.metric === metric);
}
