/**
 * Turns per-batch event columns into per-client sequences: a counting sort by client code
 * (stable, O(events), no comparison sort over all events), then a stable sort by time inside
 * each client that is skipped for clients already in time order (the usual case).
 * Input chunks are released as soon as they are scattered, so peak memory is about one copy
 * of the events plus the output.
 */

/** Event columns as read, one array per record batch; consumed (emptied) by {@link groupByClient}. */
export interface EventChunks {
  /** Dense client code per event. */
  readonly clients: Int32Array[];
  /** Event time per event. */
  readonly times: Float64Array[];
  /** Local category codes per categorical column (-1 = null). */
  readonly categorical: Record<string, Int32Array[]>;
  /** Values per numeric column. */
  readonly numeric: Record<string, Float32Array[]>;
}

/** Columns grouped by client and sorted by time within each client. */
export interface GroupedColumns {
  /** Client `c` owns events `offsets[c] .. offsets[c+1]-1`. */
  readonly offsets: Int32Array;
  /** Event times in client-then-time order. */
  readonly times: Float64Array;
  /** Output vocabulary indices per categorical column. */
  readonly categorical: Record<string, Int32Array>;
  /** Values per numeric column (not yet transformed). */
  readonly numeric: Record<string, Float32Array>;
}

/**
 * Groups events by client code (clients keep code order) and sorts each client's events by time,
 * ties in file order.
 * @param remaps - per categorical column, `remap[code + 1]` is the output index (so `remap[0]` serves nulls).
 */
export function groupByClient(chunks: EventChunks, clientCount: number, remaps: Record<string, Int32Array>): GroupedColumns {
  const offsets = new Int32Array(clientCount + 1);
  for (const codes of chunks.clients) for (let i = 0; i < codes.length; i++) offsets[codes[i]! + 1]!++;
  for (let c = 0; c < clientCount; c++) offsets[c + 1]! += offsets[c]!;
  const total = offsets[clientCount]!;

  const times = new Float64Array(total);
  const categorical: Record<string, Int32Array> = {};
  const numeric: Record<string, Float32Array> = {};
  for (const name of Object.keys(chunks.categorical)) categorical[name] = new Int32Array(total);
  for (const name of Object.keys(chunks.numeric)) numeric[name] = new Float32Array(total);

  const cursor = offsets.slice(0, clientCount);
  for (let k = 0; k < chunks.clients.length; k++) {
    const codes = chunks.clients[k]!;
    const positions = new Int32Array(codes.length);
    for (let i = 0; i < codes.length; i++) positions[i] = cursor[codes[i]!]!++;
    scatter(chunks.times[k]!, positions, times);
    for (const [name, parts] of Object.entries(chunks.categorical)) {
      scatterRemapped(parts[k]!, positions, categorical[name]!, remaps[name]!);
      parts[k] = EMPTY_INT;
    }
    for (const [name, parts] of Object.entries(chunks.numeric)) {
      scatter(parts[k]!, positions, numeric[name]!);
      parts[k] = EMPTY_FLOAT;
    }
    chunks.clients[k] = EMPTY_INT;
    chunks.times[k] = EMPTY_DOUBLE;
  }
  sortWithinClients(offsets, times, categorical, numeric);
  return { offsets, times, categorical, numeric };
}

const EMPTY_INT = new Int32Array(0);
const EMPTY_FLOAT = new Float32Array(0);
const EMPTY_DOUBLE = new Float64Array(0);

function scatter<T extends Float64Array | Float32Array>(source: T, positions: Int32Array, target: T): void {
  for (let i = 0; i < positions.length; i++) target[positions[i]!] = source[i]!;
}

function scatterRemapped(codes: Int32Array, positions: Int32Array, target: Int32Array, remap: Int32Array): void {
  for (let i = 0; i < positions.length; i++) target[positions[i]!] = remap[codes[i]! + 1]!;
}

/** Stable in-place sort by time inside each client's range; clients already sorted cost one pass. */
function sortWithinClients(
  offsets: Int32Array,
  times: Float64Array,
  categorical: Record<string, Int32Array>,
  numeric: Record<string, Float32Array>,
): void {
  const columns = [...Object.values(categorical), ...Object.values(numeric)];
  for (let c = 0; c + 1 < offsets.length; c++) {
    const start = offsets[c]!;
    const end = offsets[c + 1]!;
    let sorted = true;
    for (let i = start + 1; i < end; i++) {
      if (times[i]! < times[i - 1]!) {
        sorted = false;
        break;
      }
    }
    if (sorted) continue;
    const order = Array.from({ length: end - start }, (_, i) => i);
    // Index order breaks ties, which makes the sort stable whatever the engine does.
    order.sort((a, b) => times[start + a]! - times[start + b]! || a - b);
    permute(times, start, order);
    for (const column of columns) permute(column, start, order);
  }
}

function permute(column: Float64Array | Float32Array | Int32Array, start: number, order: readonly number[]): void {
  const copy = column.slice(start, start + order.length);
  for (let i = 0; i < order.length; i++) column[start + i] = copy[order[i]!]!;
}
