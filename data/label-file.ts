/**
 * Label files: any Arrow or CSV file with a client id column and target columns. A target is
 * `binary` (exactly two classes) or `multiclass` (two or more); its distinct values become
 * class indices 0, 1, … in sorted order (numeric order when every value is a number), so for a
 * 0/1 gender column class 1 is the positive class. Empty or null labels mean "unlabelled".
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { ConfigError, DataFormatError } from '../errors.js';
import { columnAsStrings, readColumnTable, type IdKind } from './keyed-table.js';
import { EXPECTED_UTF8, Utf8Watch } from './utf8-watch.js';

/** What kind of prediction task a target is. */
export type TargetKind = 'binary' | 'multiclass';

/** A target column and its task kind, as given by `--target column:kind`. */
export interface TargetSpec {
  /** Column name in the label file. */
  readonly column: string;
  /** Task kind. */
  readonly kind: TargetKind;
}

/** The labelled clients of one target. */
export interface Target {
  /** Column name. */
  readonly column: string;
  /** Task kind. */
  readonly kind: TargetKind;
  /** Canonical client id per labelled client. */
  readonly keys: readonly string[];
  /** Class index per labelled client. */
  readonly labels: Int32Array;
  /** Original value of each class index. */
  readonly classes: readonly string[];
}

/** Parses `column:binary` / `column:multiclass`. @throws ConfigError otherwise. */
export function parseTargetSpec(spec: string): TargetSpec {
  const at = spec.lastIndexOf(':');
  const column = spec.slice(0, at);
  const kind = spec.slice(at + 1);
  if (at <= 0 || (kind !== 'binary' && kind !== 'multiclass')) {
    throw new ConfigError(`Expected \`--target\` as column:binary or column:multiclass, got \`${spec}\``);
  }
  return { column, kind };
}

/**
 * Reads the targets `specs` from `path` (`.csv` by extension, Arrow otherwise).
 * @throws DataFormatError naming the file and column for a missing column or a target with
 *   fewer than two classes (or more than two for `binary`).
 */
export async function readTargets(path: string, idColumn: string, specs: readonly TargetSpec[]): Promise<{ targets: Target[]; idKind: IdKind }> {
  const { keys, idKind, column } = path.toLowerCase().endsWith('.csv') ? await readCsv(path, idColumn) : await readArrow(path, idColumn);
  const targets = specs.map((spec) => {
    const values = column(spec.column);
    const labelled: string[] = [];
    const raw: string[] = [];
    values.forEach((v, i) => {
      // NaN is not a class: a float column's missing labels must be null (or empty in CSV).
      if (v !== null && v.trim().toLowerCase() === 'nan') {
        throw new DataFormatError(`${path}: target \`${spec.column}\`: expected a class value or an empty/null label, found NaN at row ${i + 1} (id \`${keys[i]}\`)`);
      }
      if (v !== null && v.trim() !== '') {
        labelled.push(keys[i]!);
        raw.push(v.trim());
      }
    });
    const classes = sortClasses([...new Set(raw)]);
    const where = `${path}: target \`${spec.column}\` (${spec.kind})`;
    if (classes.length < 2) {
      throw new DataFormatError(`${where}: expected at least 2 classes, found ${classes.length}${classes.length ? ` (\`${classes[0]}\`)` : ''} among ${raw.length} labelled rows`);
    }
    if (spec.kind === 'binary' && classes.length !== 2) {
      throw new DataFormatError(`${where}: expected exactly 2 classes, found ${classes.length} (${classes.slice(0, 5).join(', ')}${classes.length > 5 ? ', …' : ''}); use :multiclass`);
    }
    const index = new Map(classes.map((c, k) => [c, k]));
    return { column: spec.column, kind: spec.kind, keys: labelled, labels: Int32Array.from(raw, (v) => index.get(v)!), classes };
  });
  return { targets, idKind };
}

function sortClasses(values: string[]): string[] {
  const numeric = values.every((v) => Number.isFinite(Number(v)));
  return numeric ? values.sort((a, b) => Number(a) - Number(b)) : values.sort();
}

interface LabelColumns {
  readonly keys: readonly string[];
  readonly idKind: IdKind;
  readonly column: (name: string) => readonly (string | null)[];
}

async function readArrow(path: string, idColumn: string): Promise<LabelColumns> {
  const table = await readColumnTable(path, idColumn);
  return {
    keys: table.keys,
    idKind: table.idKind,
    column: (name) => {
      const j = table.names.indexOf(name);
      if (j < 0) throw missing(path, name, table.names);
      return columnAsStrings(table, j);
    },
  };
}

async function readCsv(path: string, idColumn: string): Promise<LabelColumns> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new DataFormatError(`${path}: expected a readable CSV file, found ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  // Strict like `meles import-csv`: a class value or id in another encoding would otherwise become
  // a different class or client through U+FFFD without a word.
  const utf8 = new Utf8Watch();
  utf8.feed(bytes);
  utf8.end();
  const text = bytes.toString('utf8');
  let parsed: { record: Record<string, string>; info: { lines: number } }[];
  // The header is kept even without rows, so a header-only file says "no rows", not "id column missing".
  let header: string[] = [];
  try {
    parsed = parse(text, { columns: (names: string[]) => (header = names.map((n) => n.trim())), skip_empty_lines: true, trim: true, info: true }) as typeof parsed;
  } catch (error) {
    const encoding = utf8.invalid ? '; the file also has bytes that are not UTF-8' : '';
    throw new DataFormatError(`${path}: invalid CSV (${(error as Error).message})${encoding}`, { cause: error });
  }
  if (utf8.invalid) throw notUtf8(path, header, parsed);
  const rows = parsed.map((p) => p.record);
  if (header.length === 0) throw new DataFormatError(`${path}: expected a CSV header line and label rows, found an empty file`);
  if (!header.includes(idColumn)) throw missing(path, idColumn, header);
  if (rows.length === 0) throw new DataFormatError(`${path}: expected at least one label row, found no rows (only the header: ${header.join(', ')})`);
  const keys = rows.map((r, i) => {
    const id = r[idColumn]!;
    if (id === '') throw new DataFormatError(`${path}: id column \`${idColumn}\`: expected no empty ids, found one at row ${i + 1}`);
    return id;
  });
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k)) throw new DataFormatError(`${path}: id column \`${idColumn}\`: expected one row per client, found id \`${k}\` twice`);
    seen.add(k);
  }
  // CSV has no types; ids that all look like integers count as numeric (for the id-type warning).
  const idKind: IdKind = keys.every((k) => /^-?\d+$/.test(k)) ? 'number' : 'string';
  return {
    keys,
    idKind,
    column: (name) => {
      if (!header.includes(name)) throw missing(path, name, header);
      return rows.map((r) => r[name] ?? null);
    },
  };
}

/** The first header name or field holding U+FFFD in a file that is not UTF-8. */
function notUtf8(path: string, header: readonly string[], parsed: readonly { record: Record<string, string>; info: { lines: number } }[]): DataFormatError {
  const name = header.find((h) => h.includes('\uFFFD'));
  if (name !== undefined) return new DataFormatError(`${path}: header: expected ${EXPECTED_UTF8}, found column name \`${name}\``);
  for (const { record, info } of parsed) {
    for (const column of header) {
      const value = record[column];
      if (value?.includes('\uFFFD')) return new DataFormatError(`${path}: line ${info.lines}, column \`${column}\`: expected ${EXPECTED_UTF8}, found \`${value}\``);
    }
  }
  return new DataFormatError(`${path}: expected ${EXPECTED_UTF8}, found bytes that are not UTF-8`);
}

function missing(path: string, name: string, found: readonly string[]): DataFormatError {
  return new DataFormatError(`${path}: column \`${name}\` not found; found columns: ${found.join(', ')}`);
}
