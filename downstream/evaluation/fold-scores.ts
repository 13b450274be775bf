/**
 * Scoring one row of the protocol, shared by LightGBM (`evaluate.ts`) and neural rows
 * (`pipeline/workflows/neural-evaluation.ts`) so both report the same metrics, in the same order,
 * summarised the same way.
 */
import type { TargetKind } from '../../data/label-file.js';
import type { MetricScores } from './evaluate-types.js';
import { accuracy, auroc, type MetricName } from './metrics.js';
import { summarize } from './stats.js';

/** The metrics of a target kind, the primary one first: AUROC then accuracy (binary), accuracy (multiclass). */
export function metricsFor(kind: TargetKind): MetricName[] {
  return kind === 'binary' ? ['auroc', 'accuracy'] : ['accuracy'];
}

/**
 * Scores predictions: `predictions` holds P(class 1) per row (binary) or `rows × classes`
 * probabilities row-major (multiclass), as LightGBM and `predictLabelled` return them.
 */
export function scoreMetric(metric: MetricName, predictions: Float64Array, labels: Int32Array, classes: number): number {
  return metric === 'auroc' ? auroc(predictions, labels) : accuracy(predictions, labels, classes);
}

/**
 * One {@link MetricScores} per metric from the per-fold scores.
 * @param foldScores - `foldScores[k][f]`: metric k on fold f's held-out clients.
 * @param testScores - `testScores[k][f]`: metric k of fold f's model on the test part (empty lists without a test part).
 */
export function summarizeMetrics(names: readonly MetricName[], foldScores: readonly number[][], testScores: readonly number[][]): MetricScores[] {
  return names.map((metric, k) => ({
    metric,
    foldScores: foldScores[k]!,
    testScores: testScores[k]!,
    valid: summarize(foldScores[k]!),
    test: summarize(testScores[k]!),
  }));
}
