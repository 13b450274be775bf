/**
 * Paired t-tests of every row against the baseline row of the same target: on the fold scores
 * (`valid`) and, with more than one, on the test-part scores of each fold's model (`test`). Rows
 * pair up by fold index, which is sound only when they share the split plan (split-plan.ts) —
 * rows of one evaluation do by construction, included rows are checked by fingerprint first.
 */
import type { BaselineComparison, SetTargetResult } from './evaluate-types.js';
import { pairedTTest } from './stats.js';

/**
 * The t-tests of every non-baseline row against the baseline's row of its target, in row order.
 * Rows whose target the baseline did not evaluate are skipped.
 * @returns an empty list when `baseline` is undefined.
 */
export function compareWithBaseline(results: readonly SetTargetResult[], baseline: string | undefined): BaselineComparison[] {
  if (baseline === undefined) return [];
  const out: BaselineComparison[] = [];
  for (const r of results) {
    if (r.set === baseline) continue;
    const base = results.find((b) => b.set === baseline && b.target === r.target);
    if (base === undefined) continue;
    r.metrics.forEach((m) => {
      const bm = base.metrics.find((x) => x.metric === m.metric);
      if (bm === undefined) return;
      out.push({ set: r.set, baseline, target: r.target, metric: m.metric, part: 'valid', test: pairedTTest(m.foldScores, bm.foldScores) });
      if (m.testScores.length > 1) {
        out.push({ set: r.set, baseline, target: r.target, metric: m.metric, part: 'test', test: pairedTTest(m.testScores, bm.testScores) });
      }
    });
  }
  return out;
}
