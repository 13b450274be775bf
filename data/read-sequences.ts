/**
 * Reads a transactions dataset (an Arrow IPC or Parquet file, a directory or a glob of them; see
 * dataset.ts) into per-client event sequences ({@link SequenceSet}): batch by batch, columnar,
 * grouped by client and stably sorted by time within each client (ties in file-name order, so
 * a dataset reads exactly like the concatenation of its files). `options.asOf` drops later events.
 * The file is checked against the schema mapping before any work, and every bad input becomes
 * one {@link DataFormatError} naming the file, the column, what was expected and what was found.
 *
 * The batches come from the shared {@link EventScanner}, which owns the value policy: null or
 * non-finite ids and times are errors; null categories become index 1, counted in
 * `replaced.nullCategorical`; null, NaN or ±Infinity numerics become 0, counted in
 * `replaced.nonFiniteNumeric`.
 */
import { isDateTimeType } from './arrow-columns.js';
import { EventScanner, type EventScanOptions } from './event-scanner.js';
import { groupByClient, type EventChunks } from './group-by-client.js';
import { applyTransform } from './numeric-transforms.js';
import type { Vocabularies } from './vocabulary.js';
import type { SchemaMapping } from './schema-mapping.js';
import type { SequenceSet } from './sequence-set.js';

/** Options of {@link readSequences}. */
export interface ReadSequencesOptions extends EventScanOptions {
  /** Called after each record batch with the number of rows read so far (for progress bars). */
  readonly onBatch?: (rowsSoFar: number) => void;
}

/** Counts of values that were replaced instead of rejected (see the module policy). */
export interface ReplacedValues {
  /** Null categorical values per column, stored as index 1. */
  readonly nullCategorical: Readonly<Record<string, number>>;
  /** Null, NaN or ±Infinity numeric values per column, stored as 0. */
  readonly nonFiniteNumeric: Readonly<Record<string, number>>;
}

/** What {@link readSequences} returns. */
export interface ReadSequencesResult {
  /** The sequences, clients in order of first appearance in the file. */
  readonly sequences: SequenceSet;
  /** The vocabularies used (given, or built from this file), per categorical column. */
  readonly vocabularies: Vocabularies;
  /** Number of rows (events) read. */
  readonly rows: number;
  /** Values replaced rather than rejected. */
  readonly replaced: ReplacedValues;
}

/**
 * Reads `path` (a file, directory or glob of Arrow IPC and Parquet files) into per-client sequences.
 * @throws DataFormatError naming the file and column for every kind of bad input.
 * @throws ConfigError when `options.vocabularies` lacks a categorical column.
 */
export async function readSequences(path: string, mapping: SchemaMapping, options: ReadSequencesOptions = {}): Promise<ReadSequencesResult> {
  const scanner = new EventScanner(path, mapping, options);
  const chunks: EventChunks = {
    clients: [],
    times: [],
    categorical: Object.fromEntries(mapping.categorical.map((c) => [c, []])),
    numeric: Object.fromEntries(mapping.numeric.map((c) => [c, []])),
  };
  const nonFinite: Record<string, number> = Object.fromEntries(mapping.numeric.map((c) => [c, 0]));
  for await (const batch of scanner.scan()) {
    chunks.clients.push(batch.clients);
    chunks.times.push(batch.times());
    mapping.categorical.forEach((name, j) => chunks.categorical[name]!.push(batch.categorical[j]!));
    for (const name of mapping.numeric) {
      const { values, replaced } = batch.numeric(name);
      nonFinite[name]! += replaced;
      chunks.numeric[name]!.push(values);
    }
    options.onBatch?.(batch.rowsBefore + batch.numRows);
  }

  const { vocabularies, remaps, nullCategorical } = scanner.vocabularies();
  const grouped = groupByClient(chunks, scanner.clients, remaps);
  for (const name of mapping.numeric) applyTransform(mapping.transforms?.[name] ?? 'identity', grouped.numeric[name]!);
  const sequences: SequenceSet = {
    ids: scanner.clientIds(),
    offsets: grouped.offsets,
    times: grouped.times,
    categorical: grouped.categorical,
    numeric: grouped.numeric,
    timeUnit: isDateTimeType(scanner.layout.timeType) ? 'ms' : 'number',
  };
  return { sequences, vocabularies, rows: scanner.rows, replaced: { nullCategorical, nonFiniteNumeric: nonFinite } };
}
