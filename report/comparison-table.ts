/**
 * The A/B table both report formats show: one row per feature set, one column per target (its
 * primary metric), cells `mean ± 95% half-width` of the scores on the isolated test part.
 */
import type { CompareResult } from '../downstream/evaluation/compare.js';
import type { MetricName } from '../downstream/evaluation/metrics.js';
import type { ScoreSummary } from '../downstream/evaluation/stats.js';

/** Display names of metrics. */
export const METRIC_LABEL: Readonly<Record<MetricName, string>> = { accuracy: 'accuracy', auroc: 'AUROC' };

/** One column of the table. */
export interface TableColumn {
  /** Target column. */
  readonly target: string;
  /** Its primary metric. */
  readonly metric: MetricName;
  /** Header text, e.g. `age_group accuracy ± 95%`. */
  readonly header: string;
}

/** Columns (targets in protocol order with their primary metric). */
export function tableColumns(result: CompareResult): TableColumn[] {
  return result.splits.map((s) => {
    const metric: MetricName = s.kind === 'binary' ? 'auroc' : 'accuracy';
    return { target: s.target, metric, header: `${s.target} ${METRIC_LABEL[metric]} ± 95%` };
  });
}

/** The test-part summary of `set` on `column`, if evaluated. */
export function cellSummary(result: CompareResult, set: string, column: TableColumn, part: 'valid' | 'test' = 'test'): ScoreSummary | undefined {
  const r = result.results.find((x) => x.set === set && x.target === column.target);
  return r?.metrics.find((m) => m.metric === column.metric)?.[part];
}

/** `0.640 ± 0.005` (or `–` when missing, `0.640 ± n/a` with one fold). */
export function formatCell(s: ScoreSummary | undefined): string {
  if (s === undefined || !Number.isFinite(s.mean)) return '–';
  return `${s.mean.toFixed(3)} ± ${Number.isFinite(s.halfWidth) ? s.halfWidth.toFixed(3) : 'n/a'}`;
}

/** Formats a t statistic: NaN (all differences 0) as `–`, ±Infinity (constant non-zero difference) as `±∞`. */
export function formatT(t: number): string {
  if (Number.isNaN(t)) return '–';
  if (!Number.isFinite(t)) return t > 0 ? '+∞' : '−∞';
  return t.toFixed(2);
}

/** Formats a p-value for humans. */
export function formatP(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}
