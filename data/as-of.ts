/**
 * As-of cut-offs: keep only the events at or before a time, so a history can be cut at a date and
 * a past run repeated with the same output. An as-of is an ISO date (`2026-11-29`: the whole day,
 * UTC, inclusive), an ISO timestamp (`2026-11-29T18:00:00Z`; without a zone it is UTC), or a
 * plain number for numeric time columns. Dates and timestamps apply to Date/Timestamp columns
 * only, numbers to numeric columns only, so a cut-off is never read in the wrong unit.
 */
import { DataType } from 'apache-arrow';
import { ConfigError } from '../errors.js';
import { isDateTimeType, typeName } from './arrow-columns.js';

/** Arrow schema metadata key recording the as-of of an output (embeddings, features). */
export const AS_OF_METADATA_KEY = 'meles.as_of';

/** A parsed cut-off. */
export type AsOf =
  | { readonly kind: 'date'; readonly text: string; /** First millisecond after the day (exclusive bound). */ readonly endMs: number }
  | {
      readonly kind: 'timestamp';
      readonly text: string;
      /** The instant in ms since the epoch (inclusive). */
      readonly ms: number;
      /** A scheduled run's due time: numeric time columns (whose unit is unknown) are then read whole instead of refused. @defaultValue `false` */
      readonly datesOnly?: boolean;
    }
  | { readonly kind: 'number'; readonly text: string; /** Inclusive bound on the time column's numbers. */ readonly value: number };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses an as-of value.
 * @param flag - how the value was given, for the message (e.g. `--as-of`, `pipeline.json asOf`).
 * @throws ConfigError naming the flag for anything but a valid ISO date, ISO timestamp or number.
 */
export function parseAsOf(text: string, flag = '--as-of'): AsOf {
  const value = text.trim();
  const date = DATE.exec(value);
  if (date && validDay(date)) {
    const start = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    return { kind: 'date', text: value, endMs: start + 86_400_000 };
  }
  const stamp = TIMESTAMP.exec(value);
  if (stamp && validDay(stamp) && Number(stamp[4]) < 24 && Number(stamp[5]) < 60 && Number(stamp[6] ?? 0) < 60) {
    const ms = Date.parse(stamp[8] === undefined ? `${value}Z` : value);
    if (Number.isFinite(ms)) return { kind: 'timestamp', text: new Date(ms).toISOString(), ms };
  }
  if (NUMBER.test(value) && Number.isFinite(Number(value))) return { kind: 'number', text: value, value: Number(value) };
  throw new ConfigError(
    `Expected \`${flag}\` to be an ISO date (2026-11-29, the whole day UTC), an ISO timestamp (2026-11-29T18:00:00Z) or a number (for numeric time columns), got \`${text}\``,
  );
}

/**
 * The as-of of a scheduled run: its due time, to the millisecond. It cuts Date/Timestamp time
 * columns; a numeric time column has no known relation to the clock and is read whole.
 */
export function asOfInstant(due: Date): AsOf {
  return { kind: 'timestamp', text: due.toISOString(), ms: due.getTime(), datesOnly: true };
}

/** Whether `asOf` cuts a time column read as `timeUnit` (a scheduled due time leaves numeric times whole). */
export function asOfApplies(asOf: AsOf, timeUnit: 'ms' | 'number'): boolean {
  return !(asOf.kind === 'timestamp' && asOf.datesOnly === true && timeUnit === 'number');
}

/**
 * The keep-test of `asOf` for a time column of type `timeType`, on the scanner's time values
 * (milliseconds for Date/Timestamp columns, the numbers themselves otherwise); `null` when the
 * cut-off does not apply (see {@link asOfApplies}) and every event is kept.
 * @throws ConfigError when a date/timestamp meets a numeric time column or a number a Date/Timestamp column.
 */
export function asOfFilter(asOf: AsOf, timeType: DataType, where: string): ((time: number) => boolean) | null {
  const dated = isDateTimeType(timeType);
  if (!asOfApplies(asOf, dated ? 'ms' : 'number')) return null;
  if (asOf.kind === 'number') {
    if (dated) throw new ConfigError(`--as-of ${asOf.text} is a number, but ${where} is ${typeName(timeType)}; pass an ISO date or timestamp`);
    const limit = asOf.value;
    return (t) => t <= limit;
  }
  if (!dated) throw new ConfigError(`--as-of ${asOf.text} is a date, but ${where} is numeric (${typeName(timeType)}); pass a number in the column's unit`);
  if (asOf.kind === 'date') {
    const end = asOf.endMs;
    return (t) => t < end; // microsecond times late in the day are still that day
  }
  const limit = asOf.ms;
  return (t) => t <= limit;
}

function validDay(match: RegExpExecArray): boolean {
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const at = new Date(Date.UTC(y, m - 1, d));
  return at.getUTCFullYear() === y && at.getUTCMonth() === m - 1 && at.getUTCDate() === d;
}
