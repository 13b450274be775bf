/**
 * How every report prints numbers and text: scores with three decimals, `mean ± half-width`
 * intervals, signed differences, p-values and t statistics, counts, and HTML escaping. One module,
 * so the `meles compare` report and the run report show the same value the same way.
 * Undefined values (NaN, e.g. the std of a single fold) print as `–` rather than `NaN`.
 */

/** What an undefined or missing value prints as. */
export const MISSING = '–';

/**
 * A score or other measurement: three decimals, or a rounded, comma-grouped integer from 1000 up
 * (losses and throughputs are large, scores are not).
 */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return MISSING;
  return Math.abs(x) >= 1000 ? formatCount(x) : x.toFixed(3);
}

/** A count, rounded and comma-grouped: `43,210`. */
export function formatCount(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : MISSING;
}

/**
 * A mean with its 95% half-width: `0.640 ± 0.005`; `0.640 ± n/a` when the half-width is undefined
 * (one fold), `–` when the mean is.
 */
export function formatInterval(mean: number, halfWidth: number): string {
  if (!Number.isFinite(mean)) return MISSING;
  return `${mean.toFixed(3)} ± ${Number.isFinite(halfWidth) ? halfWidth.toFixed(3) : 'n/a'}`;
}

/** A difference with its sign, three decimals: `+0.245`, `-0.010`. */
export function formatDifference(x: number): string {
  if (!Number.isFinite(x)) return MISSING;
  return `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
}

/** A p-value: three decimals, or one significant digit in exponent form below 0.001 (`8.4e-4`). */
export function formatPValue(p: number): string {
  if (Number.isNaN(p)) return MISSING;
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

/**
 * A t statistic: two decimals; `–` when undefined (all differences 0), `+∞`/`−∞` for a constant
 * non-zero difference.
 */
export function formatTStatistic(t: number): string {
  if (Number.isNaN(t)) return MISSING;
  if (!Number.isFinite(t)) return t > 0 ? '+∞' : '−∞';
  return t.toFixed(2);
}

/**
 * A share as a percentage: `12.5%`.
 * @param digits - decimals. @defaultValue `1`
 */
export function formatPercent(share: number, digits = 1): string {
  return Number.isFinite(share) ? `${(100 * share).toFixed(digits)}%` : MISSING;
}

/** Seconds with one decimal: `77.3 s`. */
export function formatSeconds(seconds: number): string {
  return `${seconds.toFixed(1)} s`;
}

/** A byte count in KiB with one decimal: `96.0 KiB`. */
export function formatKiB(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
