/**
 * Stable hashes of JSON values: object keys sorted, `undefined` fields left out, so neither key
 * order nor an absent-vs-undefined field changes the hash. Here in data/ because file formats
 * (the grouped sequence file) key their validity on it; pipeline manifests use it too.
 */
import { createHash } from 'node:crypto';

/** SHA-256 (hex) of a JSON value with object keys sorted, so key order never changes the hash. */
export function hashJson(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** JSON with object keys sorted recursively (a stable form for hashing). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}
