/**
 * Scores of the evaluation protocol: accuracy (argmax over classes, or p > 0.5 for binary) and
 * AUROC (Mann–Whitney U with average ranks for ties, equal to sklearn's `roc_auc_score`).
 */

/** Metrics the evaluator reports. */
export type MetricName = 'accuracy' | 'auroc';

/**
 * Share of rows whose predicted class equals the label. `probabilities` is `rows × classes`
 * row-major for multiclass, or P(class 1) per row for binary (`classes` = 2, one value per row).
 */
export function accuracy(probabilities: Float64Array, labels: Int32Array, classes: number): number {
  const rows = labels.length;
  let hits = 0;
  if (probabilities.length === rows) {
    for (let i = 0; i < rows; i++) if ((probabilities[i]! > 0.5 ? 1 : 0) === labels[i]) hits++;
    return hits / rows;
  }
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probabilities[i * classes + k]! > probabilities[i * classes + best]!) best = k;
    if (best === labels[i]) hits++;
  }
  return hits / rows;
}

/** Area under the ROC curve of `scores` for the binary `labels` (1 = positive); NaN if one class is absent. */
export function auroc(scores: Float64Array, labels: Int32Array): number {
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
