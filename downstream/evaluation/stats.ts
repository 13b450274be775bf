/**
 * Statistics of the evaluation protocol (ptls `embeddings_validation`): mean, sample std
 * (ddof = 1), the Student-t 95% half-width t₀.₉₇₅,ₙ₋₁·s/√n, and a paired t-test.
 * The t distribution comes from the regularized incomplete beta function (Numerical Recipes
 * §6.4 continued fraction), so no table lookup limits the degrees of freedom.
 */

/** Mean, std and 95% half-width of a list of scores. */
export interface ScoreSummary {
  /** Arithmetic mean. */
  readonly mean: number;
  /** Sample standard deviation (ddof = 1); NaN for fewer than 2 scores. */
  readonly std: number;
  /** Student-t 95% confidence half-width t(0.975, n−1)·std/√n ("t_pm" in ptls). */
  readonly halfWidth: number;
}

/** Arithmetic mean (NaN for an empty list). */
export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation, ddof = 1 (NaN for fewer than 2 values). */
export function sampleStdDev(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Mean, std (ddof 1) and Student-t 95% half-width of `scores`. */
export function summarize(scores: readonly number[]): ScoreSummary {
  const std = sampleStdDev(scores);
  const n = scores.length;
  return { mean: mean(scores), std, halfWidth: n < 2 ? NaN : studentTQuantile(0.975, n - 1) * std / Math.sqrt(n) };
}

/** Result of a paired t-test of `a` against `b` (a − b). */
export interface PairedTTest {
  /** Mean of the differences a − b. */
  readonly meanDiff: number;
  /** The t statistic (±Infinity when all differences are equal and non-zero, NaN when all are 0). */
  readonly t: number;
  /** Degrees of freedom, n − 1. */
  readonly df: number;
  /** Two-sided p-value. */
  readonly pValue: number;
}

/** Paired two-sided t-test of equal means (scipy's `ttest_rel`). */
export function pairedTTest(a: readonly number[], b: readonly number[]): PairedTTest {
  if (a.length !== b.length || a.length < 2) throw new RangeError(`Paired t-test needs two equal-length lists of >= 2 scores, got ${a.length} and ${b.length}`);
  const d = a.map((x, i) => x - b[i]!);
  const meanDiff = mean(d);
  const s = sampleStdDev(d);
  const df = d.length - 1;
  const t = meanDiff / (s / Math.sqrt(d.length));
  const pValue = Number.isNaN(t) ? 1 : Number.isFinite(t) ? studentTTwoSidedP(t, df) : 0;
  return { meanDiff, t, df, pValue };
}

/** Two-sided p-value P(|T| >= |t|) for Student's t with `df` degrees of freedom. */
export function studentTTwoSidedP(t: number, df: number): number {
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** CDF of Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * studentTTwoSidedP(t, df);
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile of Student's t (inverse CDF) for p in (0, 1), by bisection on the CDF. */
export function studentTQuantile(p: number, df: number): number {
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(x, a, b)) / a : 1 - (front * betaFraction(1 - x, b, a)) / b;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** log Γ(x) for x > 0 (Lanczos, g = 7, n = 9). */
function logGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = g[0]!;
  for (let i = 1; i < 9; i++) s += g[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}
