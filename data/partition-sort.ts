/**
 * Pass 2 of the partitioner: turns one partition's spill file into its final order, events grouped
 * by client (clients in first-appearance order of the source) and stable by time inside a client.
 * A partition too large for the memory limit is sorted in several sub-passes over its spill file,
 * each holding a contiguous run of its clients (see {@link SortPlan}), so memory is that of the
 * largest run, never of the partition; the output is the same either way.
 */
import { RecordBatch, Struct, makeData, type Data, type Schema } from 'apache-arrow';
import { copyAsFloat64 } from './arrow-columns.js';
import { openRecordBatches } from './arrow-source.js';
import type { KeyCoder } from './key-coder.js';
import { ColumnBuilder } from './partition-columns.js';

/** Rows per record batch of a partition file. */
export const OUTPUT_BATCH_ROWS = 65_536;

/** How one partition is sorted. */
export interface SortPlan {
  /** The partition's spill file (an Arrow IPC stream of the partition schema). */
  readonly spill: string;
  readonly schema: Schema;
  /** Positions of the id and time columns in the schema. */
  readonly idColumn: number;
  readonly timeColumn: number;
  /** The coder that gave every client its code in pass 1 (codes of known ids do not change). */
  readonly ids: KeyCoder;
  /** Runs of the partition's clients, each sorted in one sub-pass: client codes in increasing order. */
  readonly runs: readonly Int32Array[];
  /** Events per client code (from pass 1). */
  readonly eventsOf: Float64Array;
  /** Scratch of one Int32 per client code, -1 everywhere (left that way). */
  readonly scratch: Int32Array;
}

/** Yields the partition's record batches in final order (see the module comment). */
export async function* sortedPartition(plan: SortPlan): AsyncGenerator<RecordBatch> {
  for (const run of plan.runs) yield* sortRun(plan, run);
}

async function* sortRun(plan: SortPlan, run: Int32Array): AsyncGenerator<RecordBatch> {
  const { schema, scratch, eventsOf } = plan;
  // scratch[code] = the client's rank in the run; starts[rank] = its first row in run order.
  const starts = new Int32Array(run.length + 1);
  for (let r = 0; r < run.length; r++) {
    scratch[run[r]!] = r;
    starts[r + 1] = starts[r]! + eventsOf[run[r]!]!;
  }
  const rows = starts[run.length]!;
  try {
    const builders = schema.fields.map((f) => new ColumnBuilder(f.type, rows));
    const ranks = new Int32Array(rows);
    const times = new Float64Array(rows);
    let held = 0;
    for await (const batch of openRecordBatches(plan.spill)) {
      const columns = batch.data.children;
      const codes = plan.ids.code(columns[plan.idColumn]!);
      const keep: number[] = [];
      for (let i = 0; i < codes.length; i++) if (scratch[codes[i]!]! >= 0) keep.push(i);
      if (keep.length === 0) continue;
      const selected = Int32Array.from(keep);
      const batchTimes = new Float64Array(batch.numRows);
      copyAsFloat64(columns[plan.timeColumn]!, batchTimes, 0);
      for (let j = 0; j < selected.length; j++) {
        ranks[held + j] = scratch[codes[selected[j]!]!]!;
        times[held + j] = batchTimes[selected[j]!]!;
      }
      builders.forEach((b, c) => b.gather(columns[c]!, selected));
      held += selected.length;
    }
    const order = groupedOrder(ranks.subarray(0, held), times, starts);
    const whole = builders.map((b) => b.finish());
    for (let from = 0; from < held; from += OUTPUT_BATCH_ROWS) {
      const to = Math.min(held, from + OUTPUT_BATCH_ROWS);
      yield batchOf(schema, whole, order, from, to);
    }
  } finally {
    for (const code of run) scratch[code] = -1;
  }
}

/**
 * Row order grouping rows by client rank (a stable counting sort, so source order survives), then
 * stable by time inside each client; clients already in time order are left alone.
 */
function groupedOrder(ranks: Int32Array, times: Float64Array, starts: Int32Array): Int32Array {
  const next = starts.slice(0, starts.length - 1);
  const order = new Int32Array(ranks.length);
  for (let i = 0; i < ranks.length; i++) order[next[ranks[i]!]!++] = i;
  for (let r = 0; r + 1 < starts.length; r++) {
    const from = starts[r]!;
    const to = starts[r + 1]!;
    let sorted = true;
    for (let i = from + 1; i < to && sorted; i++) if (times[order[i]!]! < times[order[i - 1]!]!) sorted = false;
    if (sorted) continue;
    const segment = Array.from(order.subarray(from, to));
    segment.sort((a, b) => times[a]! - times[b]! || a - b);
    order.set(segment, from);
  }
  return order;
}

function batchOf(schema: Schema, whole: readonly Data[], order: Int32Array, from: number, to: number): RecordBatch {
  const children = whole.map((data, c) => {
    const builder = new ColumnBuilder(schema.fields[c]!.type, to - from);
    builder.gather(data, order, from, to);
    return builder.finish();
  });
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: to - from, nullCount: 0, children }));
}
