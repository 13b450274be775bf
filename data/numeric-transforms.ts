/**
 * Numeric feature transforms from ptls' TrxEncoder: `identity`, `log` (sign(x)·log1p|x|, which
 * tames heavy-tailed amounts while keeping sign and 0) and `year` (x/365, days to years).
 */
import type { NumericTransform } from './schema-mapping.js';

/** Every transform, by name. */
export const NUMERIC_TRANSFORMS: readonly NumericTransform[] = ['identity', 'log', 'year'];

const TRANSFORM: Readonly<Record<NumericTransform, (x: number) => number>> = {
  identity: (x) => x,
  log: (x) => Math.sign(x) * Math.log1p(Math.abs(x)),
  year: (x) => x / 365,
};

/** Applies `kind` to one value. */
export function transformValue(kind: NumericTransform, x: number): number {
  return TRANSFORM[kind](x);
}

/** Applies `kind` to every value, in place, and returns the same array. */
export function applyTransform(kind: NumericTransform, values: Float32Array): Float32Array {
  if (kind === 'identity') return values;
  if (kind === 'year') {
    for (let i = 0; i < values.length; i++) values[i] = values[i]! / 365;
    return values;
  }
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    values[i] = x < 0 ? -Math.log1p(-x) : Math.log1p(x);
  }
  return values;
}
