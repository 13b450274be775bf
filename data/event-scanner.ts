/**
 * The one batch scanner over a transactions dataset (one file, a directory or a glob of Arrow
 * and Parquet files, read file after file: see dataset.ts), shared by `readSequences` (events kept, grouped
 * by client) and the aggregate-feature stream (events folded into sums): schema check, client-id
 * coding, category coding and remapping to vocabularies, numeric and time reading, and every
 * bad-input check. A reader only decides what to do with each scanned batch.
 *
 * Value policy (the same for every reader):
 * - null or non-finite (NaN, ±Infinity) client ids and times: error (such an event has no place);
 * - null categorical values: local code -1, vocabulary index 1 (unknown/missing), counted;
 * - null, NaN or ±Infinity numerics: 0 (as ptls does), counted.
 *
 * Every file of a dataset must have the mapped columns with the same types as the first file
 * (string layouts count as one type, Date/Timestamp units as one). With an as-of cut-off, rows
 * after it are dropped before any coding, so clients seen only later do not exist at all.
 */
import { DataType, type Data, type RecordBatch, type Schema } from 'apache-arrow';
import { DataFormatError } from '../errors.js';
import { EXPECTED, acceptsType, copyAsFloat64, isDateTimeType, isStringType, typeName, type ColumnRole } from './arrow-columns.js';
import { asOfFilter, type AsOf } from './as-of.js';
import { openDatasetBatches, resolveDataset, type Dataset } from './dataset.js';
import { codeNamed, KeyCoder, type Key } from './key-coder.js';
import { UNKNOWN_INDEX, Vocabulary, expectVocabulariesFor, expectVocabularyKind, type Vocabularies, type VocabularyOptions } from './vocabulary.js';
import type { SchemaMapping } from './schema-mapping.js';
import type { ClientIds } from './sequence-set.js';

/** Options of {@link EventScanner}. */
export interface EventScanOptions {
  /** Vocabularies to re-use (inference): tokens they do not know map to 1. Must cover every categorical column. @defaultValue built from the file */
  readonly vocabularies?: Vocabularies;
  /** How vocabularies built from the file are cut down. @defaultValue `{}` (keep every token) */
  readonly vocabularyOptions?: VocabularyOptions;
  /** Keep only events at or before this cut-off (see as-of.ts). @defaultValue every event */
  readonly asOf?: AsOf;
}

/** Column positions and the types that shape the output (from {@link checkSchema}). */
export interface Layout {
  readonly index: Readonly<Record<string, number>>;
  readonly names: readonly string[];
  /** Type of every column of the file, by position. */
  readonly types: readonly DataType[];
  readonly idType: DataType;
  readonly timeType: DataType;
}

/** A numeric column chunk as float32 with null/NaN/±Infinity replaced by 0. */
export interface NumericChunk {
  readonly values: Float32Array;
  /** How many values were replaced. */
  readonly replaced: number;
}

/** One record batch, coded. */
export interface ScannedBatch {
  /** Rows of the dataset before this batch (kept rows only, under an as-of; for progress). */
  readonly rowsBefore: number;
  /** Rows in this batch (never 0: empty batches are skipped). */
  readonly numRows: number;
  /** Dense client code per row (first appearance order; see {@link EventScanner.clientIds}). */
  readonly clients: Int32Array;
  /** Local category codes per categorical column, in mapping order (-1 for null; see {@link EventScanner.vocabularyIndices}). */
  readonly categorical: readonly Int32Array[];
  /** The time column as float64, checked to have no nulls and only finite values. */
  times(): Float64Array;
  /** A numeric column of the mapping; see {@link NumericChunk}. */
  numeric(name: string): NumericChunk;
}

/** The vocabularies after the first pass, and how local codes map onto them. */
export interface ScannedVocabularies {
  /** The vocabularies used (given, or built from the file), per categorical column. */
  readonly vocabularies: Vocabularies;
  /** Per categorical column: `remap[localCode + 1]` is the vocabulary index (slot 0 serves nulls). */
  readonly remaps: Readonly<Record<string, Int32Array>>;
  /** Null categorical values per column in the first pass (stored as index 1). */
  readonly nullCategorical: Readonly<Record<string, number>>;
}

/**
 * Scans one dataset, once or several times: the first pass fixes the client codes and category
 * counts; later passes reuse them (and fail if the data changed in between).
 */
export class EventScanner {
  private readonly ids = new KeyCoder();
  private readonly coders: readonly KeyCoder[];
  private layoutFound: Layout | null = null;
  private firstPass: { readonly rows: number; readonly clients: number } | null = null;
  private scanned: ScannedVocabularies | null = null;
  private dataset: Dataset | null = null;
  /** The file the layout was taken from (the first with a schema), that later files must match. */
  private layoutFile: { readonly index: number; readonly path: string } | null = null;

  /**
   * @param path - the dataset: a file, a directory or a glob (see dataset.ts).
   * @throws ConfigError when `options.vocabularies` lacks a categorical column.
   */
  constructor(
    readonly path: string,
    readonly mapping: SchemaMapping,
    private readonly options: EventScanOptions = {},
  ) {
    expectVocabulariesFor(mapping.categorical, options.vocabularies);
    this.coders = mapping.categorical.map(() => new KeyCoder());
  }

  /** The file's layout (after the first batch of a pass). */
  get layout(): Layout {
    if (this.layoutFound === null) throw new DataFormatError(`${this.path}: the file was not scanned yet`);
    return this.layoutFound;
  }

  /** Rows of the first complete pass. */
  get rows(): number {
    return this.firstPass?.rows ?? 0;
  }

  /** Distinct clients of the first complete pass. */
  get clients(): number {
    return this.ids.size;
  }

  /**
   * One pass over the file, batch by batch (the next batch is read while the caller works).
   * @throws DataFormatError for a missing or mistyped column, null ids or times, non-finite
   *   times or ids, a file without rows, or a file that changed between passes.
   */
  async *scan(): AsyncGenerator<ScannedBatch> {
    const { path, mapping } = this;
    const dataset = (this.dataset ??= await resolveDataset(path));
    const columns = [mapping.id, mapping.time, ...mapping.categorical, ...mapping.numeric];
    let rows = 0;
    let fileIndex = -1;
    let fileRows = 0;
    let keep: ((time: number) => boolean) | null = null;
    for await (const { file, fileIndex: at, schema, batch: whole } of prefetch(openDatasetBatches(dataset, { columns }))) {
      if (at !== fileIndex) {
        // A later file is compared with the first before its own checks, so the message names both.
        const reference = this.layoutFile;
        if (reference !== null && reference.index !== at) expectLikeFirst(reference.path, this.layout, file.path, schema, columns);
        const layout = checkSchema(file.path, schema, mapping);
        if (reference === null) {
          this.layoutFound = layout;
          this.layoutFile = { index: at, path: file.path };
        }
        if (this.options.asOf !== undefined) {
          keep = asOfFilter(this.options.asOf, layout.timeType, `the time column \`${mapping.time}\` of ${file.path}`);
        }
        fileIndex = at;
        fileRows = 0;
      }
      const fileRowsBefore = fileRows;
      fileRows += whole.numRows;
      if (whole.numRows === 0) continue;
      const at0 = (name: string): number => whole.schema.fields.findIndex((f) => f.name === name);
      const index = Object.fromEntries(columns.map((name) => [name, at0(name)]));
      const allTimes = keep === null ? null : readTimes(file.path, mapping.time, whole.data.children[index[mapping.time]!]!, fileRowsBefore);
      for (const [start, end] of keptRuns(allTimes, keep, whole.numRows)) {
        const batch: RecordBatch = start === 0 && end === whole.numRows ? whole : whole.slice(start, end);
        const column = (name: string): Data => batch.data.children[index[name]!]!;
        const idData = column(mapping.id);
        rejectNulls(file.path, mapping.id, 'id', idData, fileRowsBefore + start);
        const clients = codeNamed(this.ids, idData, file.path, mapping.id, fileRowsBefore + start);
        if (this.firstPass !== null && this.ids.size !== this.firstPass.clients) {
          throw new DataFormatError(`${file.path}: the file changed while it was read (new client ids in a later pass)`);
        }
        const rowsBefore = rows;
        const times = allTimes?.subarray(start, end);
        yield {
          rowsBefore,
          numRows: batch.numRows,
          clients,
          categorical: mapping.categorical.map((name, j) => codeNamed(this.coders[j]!, column(name), file.path, name, fileRowsBefore + start)),
          times: () => times ?? readTimes(file.path, mapping.time, column(mapping.time), fileRowsBefore + start),
          numeric: (name) => readNumeric(column(name)),
        };
        rows += batch.numRows;
      }
    }
    if (this.firstPass === null) {
      if (this.layoutFound === null || rows === 0) {
        const columns = this.layoutFound === null ? 'no schema' : `columns: ${this.layoutFound.names.join(', ')}`;
        const cut = this.options.asOf === undefined ? '' : ` at or before --as-of ${this.options.asOf.text}`;
        throw new DataFormatError(`${path}: expected at least one row${cut}, found 0 rows (${columns})`);
      }
      const badId = this.ids.keys.find((k) => typeof k === 'number' && !Number.isFinite(k));
      if (badId !== undefined) throw new DataFormatError(`${path}: column \`${mapping.id}\` (id): expected finite ids, found ${badId}`);
      this.firstPass = { rows, clients: this.ids.size };
    } else if (rows !== this.firstPass.rows) {
      throw new DataFormatError(`${path}: the file changed while it was read (${this.firstPass.rows} rows, then ${rows})`);
    }
  }

  /** Vocabularies (given, or built from the first pass's counts) and the remaps onto them; call after the first pass. */
  vocabularies(): ScannedVocabularies {
    if (this.scanned !== null) return this.scanned;
    const vocabularies: Vocabularies = {};
    const remaps: Record<string, Int32Array> = {};
    const nullCategorical: Record<string, number> = {};
    this.mapping.categorical.forEach((name, j) => {
      const coder = this.coders[j]!;
      const tokens = coder.tokens();
      // A partition directory records the source's vocabularies (same ties as reading the source); an as-of cut counts anew.
      const recorded = this.options.asOf === undefined ? this.dataset?.partitions?.vocabularies[name] : undefined;
      const vocabulary =
        this.options.vocabularies?.[name] ??
        (recorded ? Vocabulary.fromCounts(recorded.tokens, recorded.counts, this.options.vocabularyOptions) : Vocabulary.fromCounts(tokens, coder.counts(), this.options.vocabularyOptions));
      vocabularies[name] = vocabulary;
      const remap = new Int32Array(tokens.length + 1);
      remap[0] = UNKNOWN_INDEX;
      remap.set(vocabulary.indicesOf(tokens), 1);
      remaps[name] = remap;
      let seen = 0;
      for (const count of coder.counts()) seen += count;
      nullCategorical[name] = this.rows - seen;
    });
    this.recordVocabularyKinds(vocabularies);
    this.scanned = { vocabularies, remaps, nullCategorical };
    return this.scanned;
  }

  /** Tags vocabularies built here with their column's kind; refuses given ones of the other kind (see `expectVocabularyKind`). */
  private recordVocabularyKinds(vocabularies: Vocabularies): void {
    if (this.layoutFound === null) return;
    for (const name of this.mapping.categorical) {
      let type = this.layoutFound.types[this.layoutFound.index[name]!]!;
      if (DataType.isDictionary(type)) type = type.dictionary;
      const kind = isStringType(type) ? 'string' : 'number';
      const given = this.options.vocabularies?.[name];
      if (given !== undefined) expectVocabularyKind(given, kind, this.path, name, typeName(type));
      else vocabularies[name] = vocabularies[name]!.withKind(kind);
    }
  }

  /** Local codes of categorical column `j` (mapping order) as vocabulary indices. */
  vocabularyIndices(j: number, local: Int32Array): Int32Array {
    const remap = this.vocabularies().remaps[this.mapping.categorical[j]!]!;
    const out = new Int32Array(local.length);
    for (let i = 0; i < local.length; i++) out[i] = remap[local[i]! + 1]!;
    return out;
  }

  /** Client ids by code, in the type the file had. */
  clientIds(): ClientIds {
    return clientIds(this.ids.keys, this.layout.idType);
  }
}

/**
 * Checks that a later file of a dataset has every mapped column, with the same type as the first
 * file (strings in any layout alike, Date/Timestamp in any unit alike).
 * @throws DataFormatError naming both files, the column and (for a type) both types.
 */
function expectLikeFirst(firstPath: string, first: Layout, path: string, schema: Schema, columns: readonly string[]): void {
  expectColumnsOf(firstPath, path, schema, columns);
  for (const name of columns) {
    const a = first.types[first.index[name]!]!;
    const b = schema.fields.find((f) => f.name === name)!.type as DataType;
    if (typeFamily(a) !== typeFamily(b)) {
      throw new DataFormatError(
        `${path}: column \`${name}\`: expected ${typeName(a)} as in ${firstPath} (the dataset's first file), found ${typeName(b)}; every file of a dataset needs the same column types`,
      );
    }
  }
}

/** @throws DataFormatError naming both files when a later file lacks a mapped column. */
function expectColumnsOf(firstPath: string, path: string, schema: Schema, columns: readonly string[]): void {
  const names = schema.fields.map((f) => f.name);
  const missing = columns.find((name) => !names.includes(name));
  if (missing !== undefined) {
    throw new DataFormatError(
      `${path}: column \`${missing}\` not found, but ${firstPath} (the dataset's first file) has it; every file of a dataset needs the mapped columns (found: ${names.join(', ')})`,
    );
  }
}

function typeFamily(type: DataType): string {
  if (DataType.isDictionary(type)) return typeFamily(type.dictionary);
  if (isStringType(type)) return 'string';
  if (isDateTimeType(type)) return 'date/time';
  return typeName(type);
}

/** `[start, end)` row ranges of a batch to keep: the whole batch without a cut-off, else the runs of kept rows. */
function keptRuns(times: Float64Array | null, keep: ((time: number) => boolean) | null, n: number): [number, number][] {
  if (times === null || keep === null) return [[0, n]];
  const runs: [number, number][] = [];
  let start = -1;
  for (let i = 0; i < n; i++) {
    if (keep(times[i]!)) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      runs.push([start, i]);
      start = -1;
    }
  }
  if (start >= 0) runs.push([start, n]);
  return runs;
}

/** Checks that every mapped column exists with an acceptable type; returns their positions. */
export function checkSchema(path: string, schema: Schema, mapping: SchemaMapping): Layout {
  const names = schema.fields.map((f) => f.name);
  const index: Record<string, number> = {};
  const roles: [string, ColumnRole][] = [
    [mapping.id, 'id'],
    [mapping.time, 'time'],
    ...mapping.categorical.map((c): [string, ColumnRole] => [c, 'categorical']),
    ...mapping.numeric.map((c): [string, ColumnRole] => [c, 'numeric']),
  ];
  for (const [name, role] of roles) {
    const at = names.indexOf(name);
    if (at < 0) {
      throw new DataFormatError(`${path}: column \`${name}\` (mapped as ${role}) not found; expected it among the file's columns, found: ${names.join(', ')}`);
    }
    const type = schema.fields[at]!.type as DataType;
    if (!acceptsType(role, type)) {
      throw new DataFormatError(`${path}: column \`${name}\` (${role}): expected ${EXPECTED[role]}, found ${typeName(type)}`);
    }
    index[name] = at;
  }
  return { index, names, types: schema.fields.map((f) => f.type as DataType), idType: schema.fields[index[mapping.id]!]!.type, timeType: schema.fields[index[mapping.time]!]!.type };
}

function rejectNulls(path: string, name: string, role: ColumnRole, data: Data, rowsBefore: number): void {
  if (data.nullCount === 0) return;
  let first = 0;
  while (first < data.length && data.getValid(first)) first++;
  throw new DataFormatError(
    `${path}: column \`${name}\` (${role}): expected no nulls, found ${data.nullCount} null(s) in a batch, the first at row ${rowsBefore + first}`,
  );
}

function readTimes(path: string, name: string, data: Data, rowsBefore: number): Float64Array {
  rejectNulls(path, name, 'time', data, rowsBefore);
  const values = new Float64Array(data.length);
  copyAsFloat64(data, values, 0);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw new DataFormatError(`${path}: column \`${name}\` (time): expected finite times, found ${values[i]} at row ${rowsBefore + i}`);
    }
  }
  return values;
}

/** Numeric chunk as float32 (the precision sequences keep), with null/NaN/±Infinity replaced by 0 and counted. */
function readNumeric(data: Data): NumericChunk {
  const type = data.type as DataType;
  const n = data.length;
  const values = new Float32Array(n);
  let source: ArrayLike<number>;
  if (DataType.isFloat(type) && data.nullCount === 0) {
    source = data.values as Float32Array | Float64Array; // the common case: no widening copy
  } else {
    const wide = new Float64Array(n);
    copyAsFloat64(data, wide, 0);
    source = wide;
  }
  let replaced = 0;
  for (let i = 0; i < n; i++) {
    const x = source[i]!;
    if (x - x === 0) values[i] = x; // false for NaN and ±Infinity
    else replaced++;
  }
  return { values, replaced };
}

/** Client ids in the type the file had: small ints stay Int32, 64-bit ints BigInt, strings strings. */
function clientIds(keys: readonly Key[], type: DataType): ClientIds {
  if (DataType.isInt(type)) {
    if (type.bitWidth < 32 || (type.bitWidth === 32 && type.isSigned)) return { kind: 'int32', values: Int32Array.from(keys as number[]) };
    return { kind: 'int64', values: BigInt64Array.from(keys, (k) => BigInt(k)) };
  }
  if (DataType.isFloat(type)) return { kind: 'float64', values: Float64Array.from(keys as number[]) };
  return { kind: 'utf8', values: keys.map((k) => (typeof k === 'string' ? k : k.toString())) };
}

/**
 * Yields the items of `source` while already reading the next one, so file IO overlaps with
 * decoding the current batch (reading alone left the CPU idle ~20% of the time).
 */
async function* prefetch<T>(source: AsyncIterator<T>): AsyncGenerator<T> {
  let pending = source.next();
  try {
    while (true) {
      const step = await pending;
      if (step.done) return;
      pending = source.next();
      yield step.value;
    }
  } finally {
    pending.catch(() => undefined); // the caller stopped early; its error, if any, is already thrown
    await source.return?.();
  }
}
