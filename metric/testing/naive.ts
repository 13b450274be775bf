/**
 * Reference implementations for tests: plain loops over `number[][]` in float64, written
 * straight from the formulas in pytorch-lifestream and pytorch-metric-learning, with no shared
 * code with the tensor versions (no masks, no matMul tricks).
 */

/** Plain pair lists. */
export interface NaivePairs {
  a1: number[];
  p: number[];
  a2: number[];
  n: number[];
}

/** Plain triplet lists. */
export interface NaiveTriplets {
  a: number[];
  p: number[];
  n: number[];
}

/** A pairwise function of two vectors. */
export type NaiveDistance = (x: number[], y: number[]) => number;

/** Euclidean distance. */
export const euclidean: NaiveDistance = (x, y) => Math.sqrt(x.reduce((s, v, i) => s + (v - y[i]!) ** 2, 0));
/** Squared Euclidean distance. */
export const squaredEuclidean: NaiveDistance = (x, y) => x.reduce((s, v, i) => s + (v - y[i]!) ** 2, 0);
/** Dot product. */
export const dot: NaiveDistance = (x, y) => x.reduce((s, v, i) => s + v * y[i]!, 0);
/** Cosine similarity. */
export const cosine: NaiveDistance = (x, y) => dot(x, y) / Math.sqrt(dot(x, x) * dot(y, y));

/** `x / ‖x‖`. */
export function normalize(x: number[]): number[] {
  const norm = Math.sqrt(dot(x, x));
  return x.map((v) => v / norm);
}

/** Distance `f` after normalising both vectors. */
export function normalized(f: NaiveDistance): NaiveDistance {
  return (x, y) => f(normalize(x), normalize(y));
}

/** 2-D point at `degrees` with radius `radius` (PML's `angle_to_coord`, anisotropic on purpose). */
export function angleToCoord(degrees: number, radius = 1): number[] {
  const r = (degrees * Math.PI) / 180;
  return [radius * Math.cos(r), radius * Math.sin(r)];
}

/** Every pair; `ordered` gives (i, j) and (j, i), else i < j only. */
export function naiveAllPairs(labels: number[], ordered = false): NaivePairs {
  const out: NaivePairs = { a1: [], p: [], a2: [], n: [] };
  for (let i = 0; i < labels.length; i++) {
    for (let j = 0; j < labels.length; j++) {
      if (i === j || (!ordered && j < i)) continue;
      if (labels[i] === labels[j]) {
        out.a1.push(i);
        out.p.push(j);
      } else {
        out.a2.push(i);
        out.n.push(j);
      }
    }
  }
  return out;
}

function relu(x: number): number {
  return x > 0 ? x : 0;
}

function softplus(x: number): number {
  return x > 30 ? x : Math.log1p(Math.exp(x));
}

function avgNonZero(terms: number[]): number {
  const nonZero = terms.filter((t) => t > 0).length;
  return nonZero === 0 ? 0 : terms.reduce((s, t) => s + t, 0) / nonZero;
}

/** pytorch-lifestream contrastive: `Σ_P d² + Σ_N [m − d]₊²`. */
export function naiveContrastive(e: number[][], pairs: NaivePairs, margin: number): number {
  let loss = 0;
  pairs.a1.forEach((a, i) => (loss += euclidean(e[a]!, e[pairs.p[i]!]!) ** 2));
  pairs.a2.forEach((a, i) => (loss += relu(margin - euclidean(e[a]!, e[pairs.n[i]!]!)) ** 2));
  return loss;
}

/** PML contrastive: `avg≠0 [d − m_p]₊ + avg≠0 [m_n − d]₊`, with distance `f`. */
export function naivePmlContrastive(e: number[][], pairs: NaivePairs, posMargin: number, negMargin: number, f: NaiveDistance): number {
  const pos = pairs.a1.map((a, i) => relu(f(e[a]!, e[pairs.p[i]!]!) - posMargin));
  const neg = pairs.a2.map((a, i) => relu(negMargin - f(e[a]!, e[pairs.n[i]!]!)));
  return avgNonZero(pos) + avgNonZero(neg);
}

/** Margin loss: `[d − β + α]₊` on positives and `[β − d + α]₊` on negatives, summed or per non-zero term. */
export function naiveMargin(e: number[][], pairs: NaivePairs, margin: number, beta: number, average: boolean): number {
  const terms = [
    ...pairs.a1.map((a, i) => relu(euclidean(e[a]!, e[pairs.p[i]!]!) - beta + margin)),
    ...pairs.a2.map((a, i) => relu(beta - euclidean(e[a]!, e[pairs.n[i]!]!) + margin)),
  ];
  const sum = terms.reduce((s, t) => s + t, 0);
  return average ? avgNonZero(terms) : sum;
}

/** pytorch-lifestream binomial deviance on cosine similarity, times the batch size. */
export function naiveBinomialDeviance(e: number[][], pairs: NaivePairs, alpha: number, beta: number, c: number): number {
  const pos = pairs.a1.map((a, i) => Math.log(1 + Math.exp(-alpha * (cosine(e[a]!, e[pairs.p[i]!]!) - beta))));
  const neg = pairs.a2.map((a, i) => Math.log(1 + Math.exp(alpha * c * (cosine(e[a]!, e[pairs.n[i]!]!) - beta))));
  const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);
  return (mean(pos) + mean(neg)) * e.length;
}

/** Histogram loss: linear binning of cosine similarities onto nodes −1 + r·step, `Σ h⁻_r · CDF⁺_r`. */
export function naiveHistogram(e: number[][], pairs: NaivePairs, numSteps: number): number {
  const step = 2 / (numSteps - 1);
  const histogram = (anchors: number[], others: number[]): number[] => {
    const h = new Array<number>(numSteps).fill(0);
    anchors.forEach((a, i) => {
      const s = cosine(e[a]!, e[others[i]!]!);
      const r = Math.min(numSteps - 2, Math.max(0, Math.floor((s + 1) / step)));
      const frac = (s - (-1 + r * step)) / step;
      h[r]! += (1 - frac) / anchors.length;
      h[r + 1]! += frac / anchors.length;
    });
    return h;
  };
  if (pairs.a1.length === 0 || pairs.a2.length === 0) return 0;
  const pos = histogram(pairs.a1, pairs.p);
  const neg = histogram(pairs.a2, pairs.n);
  let cdf = 0;
  let loss = 0;
  for (let r = 0; r < numSteps; r++) {
    cdf += pos[r]!;
    loss += neg[r]! * cdf;
  }
  return loss;
}

/** PML multi-similarity with cosine similarity; each listed pair counted once; mean over rows. */
export function naiveMultiSimilarity(e: number[][], pairs: NaivePairs, alpha: number, beta: number, base: number): number {
  let total = 0;
  for (let i = 0; i < e.length; i++) {
    const posSet = new Set(pairs.a1.flatMap((a, k) => (a === i ? [pairs.p[k]!] : [])));
    const negSet = new Set(pairs.a2.flatMap((a, k) => (a === i ? [pairs.n[k]!] : [])));
    let posSum = 1;
    for (const j of posSet) posSum += Math.exp(-alpha * (cosine(e[i]!, e[j]!) - base));
    let negSum = 1;
    for (const j of negSet) negSum += Math.exp(beta * (cosine(e[i]!, e[j]!) - base));
    total += Math.log(posSum) / alpha + Math.log(negSum) / beta;
  }
  return total / e.length;
}

/** PML NT-Xent with cosine similarity: mean over positive pairs of −log softmax against the anchor's negatives. */
export function naiveNTXent(e: number[][], pairs: NaivePairs, temperature: number): number {
  if (pairs.a1.length === 0 || pairs.a2.length === 0) return 0;
  let total = 0;
  pairs.a1.forEach((a, i) => {
    const pos = Math.exp(cosine(e[a]!, e[pairs.p[i]!]!) / temperature);
    let denominator = pos;
    pairs.a2.forEach((a2, j) => {
      if (a2 === a) denominator += Math.exp(cosine(e[a]!, e[pairs.n[j]!]!) / temperature);
    });
    total += -Math.log(pos / denominator);
  });
  return total / pairs.a1.length;
}

/** Triplet margin loss with distance `f` (not inverted). */
export function naiveTriplet(
  e: number[][],
  t: NaiveTriplets,
  margin: number,
  options: { swap?: boolean; smooth?: boolean; reduction: 'avg-non-zero' | 'mean' | 'sum' },
  f: NaiveDistance = euclidean,
): number {
  const losses = t.a.map((a, i) => {
    const ap = f(e[a]!, e[t.p[i]!]!);
    let an = f(e[a]!, e[t.n[i]!]!);
    if (options.swap === true) an = Math.min(an, f(e[t.p[i]!]!, e[t.n[i]!]!));
    const x = ap - an + margin;
    return options.smooth === true ? softplus(x) : relu(x);
  });
  if (losses.length === 0) return 0;
  const sum = losses.reduce((s, x) => s + x, 0);
  if (options.reduction === 'sum') return sum;
  if (options.reduction === 'mean') return sum / losses.length;
  return avgNonZero(losses);
}

/** CosFace: mean over rows of −log softmax(s·(cos − m·[j = y]))_y. */
export function naiveCosFace(e: number[][], weights: number[][], labels: number[], margin: number, scale: number): number {
  let total = 0;
  e.forEach((x, i) => {
    const logits = weights.map((w, j) => scale * (cosine(x, w) - (j === labels[i] ? margin : 0)));
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
    total += lse - logits[labels[i]!]!;
  });
  return total / e.length;
}

/** Hard negative pairs: positives i < j; per anchor its `k` closest other-label rows (sorted by distance, then index). */
export function naiveHardNegativePairs(e: number[][], labels: number[], k: number, f: NaiveDistance = euclidean): NaivePairs {
  const out = naiveAllPairs(labels);
  out.a2 = [];
  out.n = [];
  for (let r = 0; r < k; r++) {
    for (let j = 0; j < e.length; j++) {
      const ranked = e
        .map((_, i) => i)
        .filter((i) => labels[i] !== labels[j])
        .sort((x, y) => f(e[j]!, e[x]!) - f(e[j]!, e[y]!) || x - y);
      if (r < ranked.length) {
        out.a2.push(j);
        out.n.push(ranked[r]!);
      }
    }
  }
  return out;
}

/** Every triplet whose t = d_an − d_ap satisfies `keep`. */
export function naiveTripletsWhere(e: number[][], labels: number[], keep: (t: number) => boolean, f: NaiveDistance = euclidean): NaiveTriplets {
  const out: NaiveTriplets = { a: [], p: [], n: [] };
  for (let a = 0; a < e.length; a++) {
    for (let p = 0; p < e.length; p++) {
      if (p === a || labels[p] !== labels[a]) continue;
      for (let n = 0; n < e.length; n++) {
        if (labels[n] === labels[a]) continue;
        if (!keep(f(e[a]!, e[n]!) - f(e[a]!, e[p]!))) continue;
        out.a.push(a);
        out.p.push(p);
        out.n.push(n);
      }
    }
  }
  return out;
}

/** Batch-hard: per anchor its farthest positive and closest negative (ties: lowest index). */
export function naiveBatchHard(e: number[][], labels: number[], f: NaiveDistance = euclidean): NaiveTriplets {
  const out: NaiveTriplets = { a: [], p: [], n: [] };
  for (let a = 0; a < e.length; a++) {
    const others = e.map((_, i) => i).filter((i) => i !== a);
    const pos = others.filter((i) => labels[i] === labels[a]);
    const neg = others.filter((i) => labels[i] !== labels[a]);
    if (pos.length === 0 || neg.length === 0) continue;
    const p = pos.reduce((best, i) => (f(e[a]!, e[i]!) > f(e[a]!, e[best]!) ? i : best));
    const n = neg.reduce((best, i) => (f(e[a]!, e[i]!) < f(e[a]!, e[best]!) ? i : best));
    out.a.push(a);
    out.p.push(p);
    out.n.push(n);
  }
  return out;
}

/** Central finite differences of `f` at `x` (float64), one entry at a time. */
export function numericGradient(f: (x: number[][]) => number, x: number[][], h = 1e-6): number[][] {
  return x.map((row, i) =>
    row.map((_, j) => {
      const plus = x.map((r) => [...r]);
      const minus = x.map((r) => [...r]);
      plus[i]![j]! += h;
      minus[i]![j]! -= h;
      return (f(plus) - f(minus)) / (2 * h);
    }),
  );
}
