/**
 * Validation helpers for options objects, used once at each boundary. Messages follow one shape:
 * ``Expected `cntMin` to be an integer >= 1, got `0` (number)``.
 */
import { ConfigError } from './errors.js';

function describe(value: unknown): string {
  const shown = typeof value === 'string' ? value : typeof value === 'bigint' ? `${value}n` : JSON.stringify(value);
  return `\`${shown}\` (${value === null ? 'null' : typeof value})`;
}

/** Throws a {@link ConfigError} unless `value` is an integer within [min, max]. */
export function expectInteger(name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`Expected \`${name}\` to be an integer${bounds(min, max)}, got ${describe(value)}`);
  }
  return value;
}

/** Throws a {@link ConfigError} unless `value` is a finite number within [min, max]. */
export function expectNumber(name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`Expected \`${name}\` to be a finite number${bounds(min, max)}, got ${describe(value)}`);
  }
  return value;
}

/** Throws a {@link ConfigError} unless `value` is one of `choices`. */
export function expectOneOf<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new ConfigError(`Expected \`${name}\` to be one of ${choices.map((c) => `\`${c}\``).join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

/** Throws a {@link ConfigError} unless `value` is a boolean. */
export function expectBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(`Expected \`${name}\` to be a boolean, got ${describe(value)}`);
  return value;
}

/** Throws a {@link ConfigError} unless `value` is a non-empty string. */
export function expectString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ConfigError(`Expected \`${name}\` to be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

/** Throws a {@link ConfigError} if `options` has keys not in `known` (catches typos in config files). */
export function expectKnownKeys(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ConfigError(`Unknown option \`${key}\` in ${where}; expected one of ${known.map((k) => `\`${k}\``).join(', ')}`);
    }
  }
}

function bounds(min: number, max: number): string {
  if (min > -Infinity && max < Infinity) return ` in [${min}, ${max}]`;
  if (min > -Infinity) return ` >= ${min}`;
  if (max < Infinity) return ` <= ${max}`;
  return '';
}
