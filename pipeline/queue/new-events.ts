/**
 * The events a scheduled incremental run continues over: those after the previous run's as-of
 * (and at or before this run's), read from only the dataset files that can hold such events.
 *
 * The files are given to the reader as a directory of symbolic links named `<position>-<name>`,
 * so they keep the dataset's order (ties in time keep file order, as in a full read) and the
 * ordinary dataset reader applies unchanged. The lower bound is applied after reading: within a
 * client events are sorted by time, so the kept events are each client's tail.
 */
import { mkdir, rm, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { AsOf } from '../../data/as-of.js';
import { readSequences } from '../../data/read-sequences.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import { clientCount, type ClientIds, type SequenceSet } from '../../data/sequence-set.js';
import type { Vocabularies } from '../../data/vocabulary.js';

/** What a run read, filled in by the readers below. */
export interface ReadCounts {
  /** Events handed to the encoder. */
  events: number;
  /** `'ms'` for a Date/Timestamp time column, `'number'` for a numeric one (unknown until read). */
  timeUnit?: SequenceSet['timeUnit'];
}

/** A reader as `embedFile`/`embedIncrementally` take it. */
export type Reader = (data: string, schema: SchemaMapping, vocabularies: Vocabularies, asOf?: AsOf) => Promise<SequenceSet>;

/** Reads `data` whole (up to the as-of), counting into `counts`. */
export function countingReader(counts: ReadCounts): Reader {
  return async (data, schema, vocabularies, asOf) => {
    const sequences = (await readSequences(data, schema, { vocabularies, ...(asOf === undefined ? {} : { asOf }) })).sequences;
    counts.events = sequences.times.length;
    counts.timeUnit = sequences.timeUnit;
    return sequences;
  };
}

/** Where the links to the files to read go, and which files. */
export interface NewEventSource {
  /** The files that can hold events in the window, in dataset order. */
  readonly files: readonly string[];
  /** An empty scratch directory for the links (removed by {@link removeLinks}). */
  readonly linkDir: string;
  /** Keep events with a time strictly after this (the previous run's as-of, in ms). */
  readonly after: number;
  /** The sequences to return when no file can hold new events (the state's id kind and time unit). */
  readonly empty: SequenceSet;
}

/** Reads the events in `(after, asOf]` of `source.files`, counting into `counts`. */
export function newEventReader(source: NewEventSource, counts: ReadCounts): Reader {
  return async (_data, schema, vocabularies, asOf) => {
    if (source.files.length === 0) {
      counts.events = 0;
      counts.timeUnit = source.empty.timeUnit;
      return source.empty;
    }
    await mkdir(source.linkDir, { recursive: true });
    await Promise.all(source.files.map((file, i) => symlink(file, join(source.linkDir, `${String(i).padStart(6, '0')}-${basename(file)}`))));
    const read = await countingReader(counts)(join(source.linkDir, '*'), schema, vocabularies, asOf);
    const kept = eventsAfter(read, source.after);
    counts.events = kept.times.length;
    return kept;
  };
}

/** Removes the link directory of {@link newEventReader}. */
export async function removeLinks(source: NewEventSource): Promise<void> {
  await rm(source.linkDir, { recursive: true, force: true });
}

/** The events of `set` with a time strictly after `after`; clients left without events are dropped. */
export function eventsAfter(set: SequenceSet, after: number): SequenceSet {
  const n = clientCount(set);
  const keep: number[] = [];
  const starts: number[] = [];
  let total = 0;
  for (let c = 0; c < n; c++) {
    const [from, to] = [set.offsets[c]!, set.offsets[c + 1]!];
    let start = to;
    while (start > from && set.times[start - 1]! > after) start--; // sorted by time: the tail is kept
    if (start === to) continue;
    keep.push(c);
    starts.push(start);
    total += to - start;
  }
  const offsets = new Int32Array(keep.length + 1);
  const index = new Int32Array(total);
  keep.forEach((c, k) => {
    const length = set.offsets[c + 1]! - starts[k]!;
    for (let e = 0; e < length; e++) index[offsets[k]! + e] = starts[k]! + e;
    offsets[k + 1] = offsets[k]! + length;
  });
  const pick = <T extends Float64Array | Float32Array | Int32Array>(values: T, make: (n: number) => T): T => {
    const out = make(total);
    for (let i = 0; i < total; i++) out[i] = values[index[i]!]!;
    return out;
  };
  return {
    ids: pickIds(set.ids, keep),
    offsets,
    times: pick(set.times, (k) => new Float64Array(k)),
    categorical: Object.fromEntries(Object.entries(set.categorical).map(([name, v]) => [name, pick(v, (k) => new Int32Array(k))])),
    numeric: Object.fromEntries(Object.entries(set.numeric).map(([name, v]) => [name, pick(v, (k) => new Float32Array(k))])),
    timeUnit: set.timeUnit,
  };
}

const EMPTY_IDS: Record<ClientIds['kind'], () => ClientIds> = {
  int32: () => ({ kind: 'int32', values: new Int32Array(0) }),
  int64: () => ({ kind: 'int64', values: new BigInt64Array(0) }),
  float64: () => ({ kind: 'float64', values: new Float64Array(0) }),
  utf8: () => ({ kind: 'utf8', values: [] }),
};

/** No clients, with the columns of `mapping`. */
export function emptySequences(idKind: ClientIds['kind'], timeUnit: SequenceSet['timeUnit'], mapping: SchemaMapping): SequenceSet {
  return {
    ids: EMPTY_IDS[idKind](),
    offsets: new Int32Array(1),
    times: new Float64Array(0),
    categorical: Object.fromEntries(mapping.categorical.map((name) => [name, new Int32Array(0)])),
    numeric: Object.fromEntries(mapping.numeric.map((name) => [name, new Float32Array(0)])),
    timeUnit,
  };
}

function pickIds(ids: ClientIds, rows: readonly number[]): ClientIds {
  switch (ids.kind) {
    case 'int32':
      return { kind: 'int32', values: Int32Array.from(rows, (r) => ids.values[r]!) };
    case 'int64':
      return { kind: 'int64', values: BigInt64Array.from(rows, (r) => ids.values[r]!) };
    case 'float64':
      return { kind: 'float64', values: Float64Array.from(rows, (r) => ids.values[r]!) };
    case 'utf8':
      return { kind: 'utf8', values: rows.map((r) => ids.values[r]!) };
  }
}
