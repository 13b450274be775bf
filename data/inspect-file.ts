/**
 * `inspectFile`: a summary of a transactions file under a schema mapping — rows, clients,
 * sequence-length quantiles, cardinality per categorical, time range, numeric ranges and nulls
 * per column. Backs `meles inspect`.
 */
import { DataFormatError } from '../errors.js';
import { detectArrowFormat, type ArrowIpcFormat } from './arrow-source.js';
import type { AsOf } from './as-of.js';
import { openDatasetBatches, resolveDataset } from './dataset.js';
import { typeName } from './arrow-columns.js';
import { readSequences, type ReplacedValues } from './read-sequences.js';
import type { SchemaMapping } from './schema-mapping.js';
import { RESERVED } from './vocabulary.js';

/** Quantiles of a distribution. */
export interface Quantiles {
  /** Smallest value. */
  readonly min: number;
  /** 5th percentile (nearest rank). */
  readonly p05: number;
  /** 25th percentile. */
  readonly p25: number;
  /** 50th percentile. */
  readonly median: number;
  /** 75th percentile. */
  readonly p75: number;
  /** 95th percentile. */
  readonly p95: number;
  /** Largest value. */
  readonly max: number;
  /** Arithmetic mean. */
  readonly mean: number;
}

/** Per-column facts from the file itself. */
export interface ColumnSummary {
  /** Column name. */
  readonly name: string;
  /** Arrow type, e.g. `Int32`, `Utf8View`, `Dictionary<Int8, Utf8>`. */
  readonly type: string;
  /** Null values over all batches. */
  readonly nulls: number;
}

/** What `meles inspect` prints. */
export interface FileSummary {
  /** The file inspected. */
  readonly path: string;
  /** IPC file or stream format, `parquet`, or `mixed` for a dataset of both. */
  readonly format: ArrowIpcFormat | 'parquet' | 'mixed';
  /** Files in the dataset (1 for a single file). */
  readonly files: number;
  /** The as-of cut-off applied to the events (column null counts cover every row). */
  readonly asOf?: string;
  /** Rows (events). */
  readonly rows: number;
  /** Record batches. */
  readonly batches: number;
  /** Distinct clients. */
  readonly clients: number;
  /** Every column of the file (mapped or not) with its type and null count. */
  readonly columns: readonly ColumnSummary[];
  /** Events per client. */
  readonly sequenceLength: Quantiles;
  /** Distinct values and the five most frequent, per categorical column. */
  readonly categorical: Readonly<Record<string, { readonly cardinality: number; readonly top: readonly [string, number][] }>>;
  /** Range of each numeric column after its transform. */
  readonly numeric: Readonly<Record<string, { readonly min: number; readonly max: number; readonly mean: number }>>;
  /** Time range; ISO strings too when the column is a Date/Timestamp. */
  readonly time: { readonly min: number; readonly max: number; readonly unit: 'number' | 'ms'; readonly minIso?: string; readonly maxIso?: string };
  /** Values replaced on read (nulls in categoricals, non-finite numerics). */
  readonly replaced: ReplacedValues;
}

/**
 * Summarises `path` under `mapping`.
 * @throws DataFormatError (from the reader) for any bad input, naming file and column.
 */
export async function inspectFile(path: string, mapping: SchemaMapping, options: { readonly asOf?: AsOf } = {}): Promise<FileSummary> {
  const dataset = await resolveDataset(path);
  const formats = new Set<ArrowIpcFormat | 'parquet'>();
  for (const file of dataset.files) formats.add(file.format === 'parquet' ? 'parquet' : await detectArrowFormat(file.path));
  const format = formats.size === 1 ? [...formats][0]! : 'mixed';
  const columns = new Map<string, { type: string; nulls: number }>();
  let batches = 0;
  for await (const { batch } of openDatasetBatches(dataset)) {
    batches++;
    batch.schema.fields.forEach((field, i) => {
      const entry = columns.get(field.name) ?? { type: typeName(field.type), nulls: 0 };
      entry.nulls += batch.data.children[i]!.nullCount;
      columns.set(field.name, entry);
    });
  }
  // Report every null id/time at once (the reader stops at the first batch that has one).
  for (const [name, role] of [[mapping.id, 'id'], [mapping.time, 'time']] as const) {
    const nulls = columns.get(name)?.nulls ?? 0;
    if (nulls > 0) {
      throw new DataFormatError(`${path}: column \`${name}\` (${role}): expected no nulls, found ${nulls} null(s) in the file; events without ${role === 'id' ? 'a client' : 'a time'} cannot be grouped`);
    }
  }
  const { sequences, vocabularies, rows, replaced } = await readSequences(path, mapping, options.asOf === undefined ? {} : { asOf: options.asOf });
  const clients = sequences.offsets.length - 1;
  const lengths = new Float64Array(clients);
  for (let c = 0; c < clients; c++) lengths[c] = sequences.offsets[c + 1]! - sequences.offsets[c]!;

  const categorical: Record<string, { cardinality: number; top: [string, number][] }> = {};
  for (const [name, vocabulary] of Object.entries(vocabularies)) {
    const top: [string, number][] = [];
    for (let i = RESERVED; i < Math.min(vocabulary.size, RESERVED + 5); i++) top.push([vocabulary.tokens[i]!, vocabulary.counts[i]!]);
    categorical[name] = { cardinality: vocabulary.size - RESERVED, top };
  }
  const numeric: Record<string, { min: number; max: number; mean: number }> = {};
  for (const [name, values] of Object.entries(sequences.numeric)) numeric[name] = range(values);
  const t = range(sequences.times);
  const time =
    sequences.timeUnit === 'ms'
      ? { min: t.min, max: t.max, unit: sequences.timeUnit, minIso: new Date(t.min).toISOString(), maxIso: new Date(t.max).toISOString() }
      : { min: t.min, max: t.max, unit: sequences.timeUnit };
  return {
    path,
    format,
    files: dataset.files.length,
    ...(options.asOf === undefined ? {} : { asOf: options.asOf.text }),
    rows,
    batches,
    clients,
    columns: [...columns].map(([name, c]) => ({ name, type: c.type, nulls: c.nulls })),
    sequenceLength: quantiles(lengths),
    categorical,
    numeric,
    time,
    replaced,
  };
}

/** Quantiles by the nearest-rank method (values are sorted in a copy). */
export function quantiles(values: Float64Array): Quantiles {
  const sorted = values.slice().sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { min: sorted[0]!, p05: at(0.05), p25: at(0.25), median: at(0.5), p75: at(0.75), p95: at(0.95), max: sorted[sorted.length - 1]!, mean: sum / sorted.length };
}

function range(values: Float32Array | Float64Array): { min: number; max: number; mean: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: sum / values.length };
}
