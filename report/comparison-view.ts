/**
 * The one view model of an A/B comparison, shared by the `meles compare` report (report.html,
 * report.md) and the run report's A/B section: rows are feature sets, columns are targets with
 * their primary metric, cells are `mean ± 95% half-width` of one part's scores, plus the paired
 * t-tests of every set against the baseline on that part. Built from a {@link CompareResult} in
 * memory or from the `report.json` it was written to (report/run/comparison.ts).
 */
import type { MetricName } from '../downstream/evaluation/metrics.js';
import type { ScoreSummary } from '../downstream/evaluation/stats.js';
import type { MetricBar } from './charts/bar-chart.js';
import { formatPercent } from './format.js';

/**
 * Which scores a view summarises: `valid` are the out-of-fold scores of the cross-validation,
 * `test` the scores of each fold's model on the isolated test part (the number ptls reports).
 */
export type ScorePart = 'valid' | 'test';

/** How headings name a part's scores. */
export const PART_NAME: Readonly<Record<ScorePart, string>> = { test: 'test-part scores', valid: 'out-of-fold scores' };

/** Display names of metrics. */
export const METRIC_LABEL: Readonly<Record<MetricName, string>> = { accuracy: 'accuracy', auroc: 'AUROC' };

/**
 * What a view is built from: the fields of `CompareResult` (downstream/evaluation/compare.ts) the
 * reports show. A `CompareResult` is one; so is a `report.json` read back, where undefined numbers
 * (NaN, ±Infinity) were written as `null` and read back as NaN.
 */
export interface ComparisonSource {
  /** Protocol settings: folds, and the test part's share of labelled clients when known. */
  readonly protocol?: { readonly folds: number; readonly testFraction?: number };
  /** Per set and target; `metrics` lists the primary metric first. */
  readonly results: readonly {
    readonly set: string;
    readonly target: string;
    readonly metrics: readonly { readonly metric: MetricName; readonly valid: ScoreSummary; readonly test: ScoreSummary }[];
  }[];
  /** Paired t-tests against the baseline, per target, metric and part. */
  readonly comparisons: readonly {
    readonly set: string;
    readonly baseline: string;
    readonly target: string;
    readonly metric: MetricName;
    readonly part: ScorePart;
    readonly test: { readonly meanDiff: number; readonly t: number; readonly pValue: number };
  }[];
  /** Baseline set of the t-tests, if any. */
  readonly baseline?: string;
  /** Dropped ids, id-type mismatches. */
  readonly warnings: readonly string[];
}

/** One column of the table: a target and its primary metric. */
export interface ComparisonColumn {
  /** Target column, e.g. `age_group`. */
  readonly target: string;
  /** Its primary metric (accuracy for multiclass, AUROC for binary). */
  readonly metric: MetricName;
  /** `age_group accuracy`: chart panels and t-test rows. */
  readonly label: string;
  /** `age_group accuracy ± 95%`: table headers. */
  readonly header: string;
}

/** One row of the table: a feature set and its cell per column (undefined when not evaluated). */
export interface ComparisonRow {
  /** Feature set, e.g. `MeLES`. */
  readonly set: string;
  /** Aligned with {@link ComparisonView.columns}. */
  readonly cells: readonly (ScoreSummary | undefined)[];
}

/** A paired t-test of one set against the baseline on the view's part. */
export interface BaselineTest {
  /** Feature set compared. */
  readonly set: string;
  /** `age_group accuracy`. */
  readonly label: string;
  /** Mean of (set − baseline) over the paired scores; NaN when undefined. */
  readonly meanDiff: number;
  /** t statistic; NaN when undefined. */
  readonly t: number;
  /** Two-sided p-value; NaN when undefined. */
  readonly pValue: number;
}

/** The comparison as every report shows it, for one part of the scores. */
export interface ComparisonView {
  /** Which scores the cells summarise. */
  readonly part: ScorePart;
  /** Cross-validation folds, when the source says. */
  readonly folds?: number;
  /** Share of labelled clients in the test part, when the source says. */
  readonly testFraction?: number;
  /** Targets in first-seen order. */
  readonly columns: readonly ComparisonColumn[];
  /** Feature sets in first-seen order. */
  readonly rows: readonly ComparisonRow[];
  /** Per column, the highest mean (-Infinity when the column has none). */
  readonly best: readonly number[];
  /** The set the others are t-tested against, if any. */
  readonly baseline?: string;
  /** The t-tests of this part, in source order. */
  readonly tests: readonly BaselineTest[];
  /** Warnings of the comparison. */
  readonly warnings: readonly string[];
}

/** Builds the view of `part` (rows and columns in the source's first-seen order). */
export function comparisonView(source: ComparisonSource, part: ScorePart): ComparisonView {
  const columns: ComparisonColumn[] = [];
  for (const r of source.results) {
    if (columns.some((c) => c.target === r.target)) continue;
    const metric = r.metrics[0]!.metric;
    const label = `${r.target} ${METRIC_LABEL[metric]}`;
    columns.push({ target: r.target, metric, label, header: `${label} ± 95%` });
  }
  const sets = [...new Set(source.results.map((r) => r.set))];
  const rows = sets.map((set) => ({
    set,
    cells: columns.map((c) => source.results.find((r) => r.set === set && r.target === c.target)?.metrics.find((m) => m.metric === c.metric)?.[part]),
  }));
  const best = columns.map((_, k) => Math.max(...rows.map((row) => finiteOr(row.cells[k]?.mean, -Infinity))));
  const tests = source.comparisons
    .filter((c) => c.part === part)
    .map((c) => ({ set: c.set, label: `${c.target} ${METRIC_LABEL[c.metric]}`, meanDiff: c.test.meanDiff, t: c.test.t, pValue: c.test.pValue }));
  const baseline = source.baseline ?? source.comparisons[0]?.baseline;
  return {
    part,
    ...(source.protocol === undefined ? {} : { folds: source.protocol.folds }),
    ...(source.protocol?.testFraction === undefined ? {} : { testFraction: source.protocol.testFraction }),
    columns,
    rows,
    best,
    ...(baseline === undefined ? {} : { baseline }),
    tests,
    warnings: source.warnings,
  };
}

/**
 * The sentence saying what the cells are (no final period), e.g. `Mean ± Student-t 95% half-width
 * of the scores on the isolated test part, one model per fold (5 folds); the test part holds 10%
 * of the labelled clients`.
 */
export function partDescription(view: ComparisonView): string {
  const folds = view.folds === undefined ? 'k' : String(view.folds);
  if (view.part === 'valid') return `Mean ± Student-t 95% half-width of the scores out-of-fold, ${folds}-fold cross-validation`;
  const share = view.testFraction === undefined ? '' : `; the test part holds ${formatPercent(view.testFraction, 0)} of the labelled clients`;
  return `Mean ± Student-t 95% half-width of the scores on the isolated test part, one model per fold (${folds} folds)${share}`;
}

/** The bars of the view's chart: one per evaluated cell; an undefined half-width draws no whisker. */
export function comparisonBars(view: ComparisonView): MetricBar[] {
  return view.columns.flatMap((c, k) => view.rows.flatMap((row) => {
    const cell = row.cells[k];
    if (cell === undefined || !Number.isFinite(cell.mean)) return [];
    return [{ method: row.set, metric: c.label, mean: cell.mean, halfWidth: finiteOr(cell.halfWidth, 0) }];
  }));
}

/** The lowest and highest-scoring rows of column `k` (undefined when the column has no scores). */
export function columnExtremes(view: ComparisonView, k: number): { best: ComparisonRow; worst: ComparisonRow } | undefined {
  const scored = view.rows.filter((row) => Number.isFinite(row.cells[k]?.mean));
  if (scored.length === 0) return undefined;
  const mean = (row: ComparisonRow): number => row.cells[k]!.mean;
  return {
    best: scored.reduce((a, b) => (mean(b) > mean(a) ? b : a)),
    worst: scored.reduce((a, b) => (mean(b) < mean(a) ? b : a)),
  };
}

function finiteOr(x: number | undefined, fallback: number): number {
  return x !== undefined && Number.isFinite(x) ? x : fallback;
}
