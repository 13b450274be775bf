/**
 * Loads and validates schema mappings (`schema.json`). The only place untrusted mapping input
 * is checked; the rest of the code trusts a {@link SchemaMapping}.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { expectKnownKeys } from '../options.js';
import { readJsonFile } from './json-file.js';
import type { NumericTransform, SchemaMapping } from './schema-mapping.js';

const KEYS = ['id', 'time', 'categorical', 'numeric', 'transforms', 'targets'] as const;
const TRANSFORMS: readonly NumericTransform[] = ['identity', 'log', 'year'];

/**
 * Checks a parsed JSON value and returns it as a {@link SchemaMapping}.
 * Rejects unknown keys, empty or non-string names, a column mapped twice (e.g. both categorical
 * and numeric) and transforms for columns that are not numeric.
 * @param where - what to name in messages, e.g. the file path or `command-line flags`.
 * @throws ConfigError with a message naming `where`, the key, what was expected and what was found.
 */
export function validateSchemaMapping(raw: unknown, where: string): SchemaMapping {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${where}: expected a JSON object like {"id": ..., "time": ...}, got ${kind(raw)}`);
  }
  const obj = raw as Record<string, unknown>;
  expectKnownKeys(where, obj, KEYS);
  const id = name(where, 'id', obj.id);
  const time = name(where, 'time', obj.time);
  const categorical = names(where, 'categorical', obj.categorical);
  const numeric = names(where, 'numeric', obj.numeric);
  const targets = names(where, 'targets', obj.targets);
  const transforms = transformsOf(where, obj.transforms, numeric);

  const roles = new Map<string, string>();
  const claim = (column: string, role: string): void => {
    const previous = roles.get(column);
    if (previous !== undefined) {
      throw new ConfigError(`${where}: column \`${column}\` is mapped twice (as ${previous} and as ${role}); map each column once`);
    }
    roles.set(column, role);
  };
  claim(id, '`id`');
  claim(time, '`time`');
  for (const c of categorical) claim(c, '`categorical`');
  for (const c of numeric) claim(c, '`numeric`');
  for (const c of targets) claim(c, '`targets`');
  return { id, time, categorical, numeric, transforms, targets };
}

/**
 * Reads and validates a schema mapping JSON file.
 * @throws ConfigError naming the file when it is missing, not JSON or not a valid mapping.
 */
export async function readSchemaMapping(path: string): Promise<SchemaMapping> {
  // The mapping is the user's configuration: every problem with it is a ConfigError.
  return validateSchemaMapping(await readJsonFile(path, 'schema mapping', z.unknown(), { errorClass: ConfigError }), path);
}

/** Every column a mapping reads from the transactions file (targets excluded), in a stable order. */
export function mappedColumns(mapping: SchemaMapping): string[] {
  return [mapping.id, mapping.time, ...mapping.categorical, ...mapping.numeric];
}

function name(where: string, key: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new ConfigError(`${where}: expected \`${key}\` to be a non-empty column name, got ${kind(value)}`);
  }
  return value;
}

function names(where: string, key: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ConfigError(`${where}: expected \`${key}\` to be an array of column names, got ${kind(value)}`);
  return value.map((v, i) => name(where, `${key}[${i}]`, v));
}

function transformsOf(where: string, value: unknown, numeric: readonly string[]): Record<string, NumericTransform> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${where}: expected \`transforms\` to be an object {column: "identity"|"log"|"year"}, got ${kind(value)}`);
  }
  const out: Record<string, NumericTransform> = {};
  for (const [column, t] of Object.entries(value)) {
    if (!numeric.includes(column)) {
      throw new ConfigError(`${where}: \`transforms\` names \`${column}\`, which is not a numeric column (numeric: ${numeric.join(', ') || 'none'})`);
    }
    if (typeof t !== 'string' || !(TRANSFORMS as readonly string[]).includes(t)) {
      throw new ConfigError(`${where}: expected \`transforms.${column}\` to be one of identity, log, year, got ${kind(t)}`);
    }
    out[column] = t as NumericTransform;
  }
  return out;
}

function kind(value: unknown): string {
  if (value === null) return '`null`';
  if (Array.isArray(value)) return `an array (${JSON.stringify(value)})`;
  return `\`${typeof value === 'object' ? JSON.stringify(value) : String(value)}\` (${typeof value})`;
}
