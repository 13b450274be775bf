/**
 * The in-memory form of event sequences: columnar, one typed array per feature over all events,
 * clients delimited by `offsets`. Never one JS object per event. This module is the data model
 * and imports no IO (as in Apache Arrow JS).
 */

/** Client ids, kept in the type they had in the source file so outputs can reuse it. */
export type ClientIds =
  | { readonly kind: 'int32'; readonly values: Int32Array }
  | { readonly kind: 'int64'; readonly values: BigInt64Array }
  | { readonly kind: 'float64'; readonly values: Float64Array }
  | { readonly kind: 'utf8'; readonly values: readonly string[] };

/**
 * Per-client event sequences. Client `c` owns events `offsets[c] .. offsets[c + 1] - 1`, sorted
 * by time (stable: ties keep file order).
 */
export interface SequenceSet {
  /** One id per client, in the order of `offsets`. */
  readonly ids: ClientIds;
  /** Length `clients + 1`; `offsets[0] = 0`, `offsets[clients]` = number of events. */
  readonly offsets: Int32Array;
  /** Event times as numbers (days, ms or the file's numeric unit; see {@link SequenceSet.timeUnit}). */
  readonly times: Float64Array;
  /** Vocabulary indices per categorical column (0 = padding, 1 = unseen/missing, 2.. = by frequency). */
  readonly categorical: Readonly<Record<string, Int32Array>>;
  /** Numeric columns after their transform (identity, log or year). */
  readonly numeric: Readonly<Record<string, Float32Array>>;
  /** What a time value means: `'number'` for plain numeric time columns, else the Arrow unit turned into milliseconds. */
  readonly timeUnit: 'number' | 'ms';
}

/** Number of clients in a set. */
export function clientCount(set: SequenceSet): number {
  return set.offsets.length - 1;
}

/** Number of events of client `c`. */
export function sequenceLength(set: SequenceSet, c: number): number {
  return set.offsets[c + 1]! - set.offsets[c]!;
}

/** The id of client `c` as a JSON-safe value (int64 ids become decimal strings). */
export function clientIdAt(ids: ClientIds, c: number): number | string {
  switch (ids.kind) {
    case 'int64':
      return ids.values[c]!.toString();
    case 'utf8':
      return ids.values[c]!;
    default:
      return ids.values[c]!;
  }
}

/** The ids of `clients` (indices into `ids`), in that order and in the source's id type. */
export function pickClientIds(ids: ClientIds, clients: ArrayLike<number>): ClientIds {
  switch (ids.kind) {
    case 'int32':
      return { kind: ids.kind, values: Int32Array.from(clients, (c) => ids.values[c]!) };
    case 'int64':
      return { kind: ids.kind, values: BigInt64Array.from(clients, (c) => ids.values[c]!) };
    case 'float64':
      return { kind: ids.kind, values: Float64Array.from(clients, (c) => ids.values[c]!) };
    case 'utf8':
      return { kind: ids.kind, values: Array.from(clients, (c) => ids.values[c]!) };
  }
}
