/**
 * The merge at the heart of incremental embedding: walks the previous state file batch by batch
 * and continues every client that has new events from its saved state (the RNN's initial state for
 * that client), copies the clients without new events unchanged, then starts the clients seen for
 * the first time from the model's start state. Yields the new states in that order (old clients in
 * the state file's order, then new clients in data order); only one state batch and one embedding
 * batch exist at a time besides the new events themselves.
 */
import { collateTails } from '../../sampling/collate.js';
import { clientCount, pickClientIds, type ClientIds, type SequenceSet } from '../../data/sequence-set.js';
import type { StateChunk, StateLayout } from '../../data/state-file.js';
import type { RecurrentStates, SequenceModel } from '../../encoders/sequence-model.js';
import { DataFormatError } from '../../errors.js';
import { expectFiniteEmbeddings } from '../finite-embeddings.js';

// Every event of a client: a state must summarise the whole history (see README, --max-events).
const ALL_EVENTS = 2 ** 31 - 1;

/** Inputs of {@link continueStates}. */
export interface ContinueStatesInput {
  readonly model: SequenceModel;
  /** Model directory (named in messages). */
  readonly modelPath: string;
  /** The new events. */
  readonly sequences: SequenceSet;
  /** Where they came from (named in messages). */
  readonly dataPath: string;
  readonly layout: StateLayout;
  /** The previous states and their file; absent: every client starts from the start state. */
  readonly previous?: { readonly path: string; readonly chunks: AsyncIterable<StateChunk> };
  readonly batchSize: number;
  readonly maxBatchEvents: number;
  /** Called after every embedding batch. */
  readonly onProgress?: (clients: number, total: number) => void;
}

/** Counts of what {@link continueStates} did, complete once its generator has finished. */
export interface ContinueCounts {
  /** Clients continued from their saved state. */
  continued: number;
  /** Clients new in this data, started from the start state. */
  started: number;
  /** Clients of the state without new events (state kept). */
  unchanged: number;
}

/** Keys clients across files by their id's text (`7` for 7 and 7n; strings as they are). */
function keyAt(ids: ClientIds, i: number): string {
  return String(ids.values[i]);
}

/** A time for a message: ISO for millisecond units, the number otherwise. */
export function describeTime(time: number, unit: SequenceSet['timeUnit']): string {
  return unit === 'ms' && Number.isFinite(time) ? new Date(time).toISOString() : String(time);
}

/**
 * Yields the new states; `counts` is filled as it goes.
 * @throws DataFormatError naming the data, the client and both times when a client's new events
 *   start before its state's last event time; naming the state file for a duplicated client id.
 */
export async function* continueStates(input: ContinueStatesInput, counts: ContinueCounts): AsyncGenerator<StateChunk> {
  const { sequences: set, layout } = input;
  const n = clientCount(set);
  const indexOf = new Map<string, number>();
  for (let c = 0; c < n; c++) indexOf.set(keyAt(set.ids, c), c);
  const continued = new Uint8Array(n);
  let embedded = 0;
  const progress = (k: number): void => {
    embedded += k;
    input.onProgress?.(embedded, n);
  };

  if (input.previous) {
    const seen = new Set<string>();
    for await (const chunk of input.previous.chunks) {
      const rows: number[] = [];
      const clients: number[] = [];
      for (let r = 0; r < chunk.ids.values.length; r++) {
        const key = keyAt(chunk.ids, r);
        if (seen.has(key)) throw new DataFormatError(`${input.previous.path}: expected one state per client, found client \`${key}\` twice`);
        seen.add(key);
        const c = indexOf.get(key);
        if (c === undefined) continue;
        const first = set.times[set.offsets[c]!]!;
        if (first < chunk.lastTime[r]!) {
          throw new DataFormatError(
            `${input.dataPath}: client \`${key}\` has an event at ${describeTime(first, set.timeUnit)}, older than the last event ` +
              `its state has read (${describeTime(chunk.lastTime[r]!, set.timeUnit)}, ${input.previous.path}); incremental embedding ` +
              'only appends newer events: give the events after the state time only, or embed the whole history without --state',
          );
        }
        continued[c] = 1;
        rows.push(r);
        clients.push(c);
      }
      for (const [from, to] of batches(set, clients, input.batchSize, input.maxBatchEvents)) {
        const part = clients.slice(from, to);
        const partRows = rows.slice(from, to);
        const initial: RecurrentStates = { layers: chunk.states.map((layer) => layer.map((values) => gatherRows(values, partRows, layout.hidden))) };
        const result = embed(input, part, initial);
        scatterRows(result, chunk, partRows, layout.hidden);
        partRows.forEach((r, i) => {
          const c = part[i]!;
          chunk.lastTime[r] = set.times[set.offsets[c + 1]! - 1]!;
          chunk.eventCount[r] = chunk.eventCount[r]! + set.offsets[c + 1]! - set.offsets[c]!;
        });
        progress(part.length);
      }
      counts.continued += rows.length;
      counts.unchanged += chunk.ids.values.length - rows.length;
      yield chunk;
    }
  }

  const fresh: number[] = [];
  for (let c = 0; c < n; c++) if (continued[c] === 0) fresh.push(c);
  for (const [from, to] of batches(set, fresh, input.batchSize, input.maxBatchEvents)) {
    const part = fresh.slice(from, to);
    const result = embed(input, part, undefined);
    counts.started += part.length;
    progress(part.length);
    yield {
      ids: pickClientIds(set.ids, part),
      states: result.layers,
      lastTime: Float64Array.from(part, (c) => set.times[set.offsets[c + 1]! - 1]!),
      eventCount: Int32Array.from(part, (c) => set.offsets[c + 1]! - set.offsets[c]!),
    };
  }
}

/** Embeds the whole new history of `clients` from `initial` (the start state when undefined). */
function embed(input: ContinueStatesInput, clients: readonly number[], initial: RecurrentStates | undefined): RecurrentStates {
  const { sequences: set } = input;
  const batch = collateTails(set, clients, ALL_EVENTS);
  const result = input.model.embedWithState(batch, initial);
  expectFiniteEmbeddings(result.embeddings, input.layout.hidden, input.modelPath, (r) => `client ${keyAt(set.ids, clients[r]!)}`);
  return result.states;
}

/** `[from, to)` runs of `clients` of at most `batchSize` clients and `maxBatchEvents` events (a longer client alone). */
function* batches(set: SequenceSet, clients: readonly number[], batchSize: number, maxBatchEvents: number): Generator<readonly [number, number]> {
  for (let start = 0; start < clients.length; ) {
    let events = 0;
    let end = start;
    while (end < clients.length && end - start < batchSize) {
      const c = clients[end]!;
      const length = set.offsets[c + 1]! - set.offsets[c]!;
      if (end > start && events + length > maxBatchEvents) break;
      events += length;
      end++;
    }
    yield [start, end];
    start = end;
  }
}

function gatherRows(values: Float32Array, rows: readonly number[], hidden: number): Float32Array {
  const out = new Float32Array(rows.length * hidden);
  rows.forEach((r, i) => out.set(values.subarray(r * hidden, (r + 1) * hidden), i * hidden));
  return out;
}

function scatterRows(result: RecurrentStates, chunk: StateChunk, rows: readonly number[], hidden: number): void {
  result.layers.forEach((layer, l) =>
    layer.forEach((values, k) => {
      const target = chunk.states[l]![k]!;
      rows.forEach((r, i) => target.set(values.subarray(i * hidden, (i + 1) * hidden), r * hidden));
    }));
}

