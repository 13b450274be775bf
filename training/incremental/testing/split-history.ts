/**
 * Test and benchmark support: cuts a transactions file (typed-array columns, as the synthetic
 * generator writes) into a history and the new events after a time, as a nightly job sees them.
 */
import { readFile } from 'node:fs/promises';
import { tableFromIPC } from 'apache-arrow';
import { type ColumnValues, tableFromColumns, writeArrowTable } from '../../../data/arrow-sink.js';

/** Options of {@link splitHistory}. */
export interface SplitHistoryOptions {
  readonly source: string;
  /** Events at or before this time go to `history`, later ones to `fresh`. */
  readonly cut: number;
  readonly history: string;
  readonly fresh: string;
  /** Clients whose every event goes to `fresh` (clients new in the second run). @defaultValue none */
  readonly newClients?: ReadonlySet<number>;
  /** @defaultValue `'client_id'` */
  readonly idColumn?: string;
  /** @defaultValue `'trans_date'` */
  readonly timeColumn?: string;
}

type Typed = Int32Array | Float32Array | Float64Array | BigInt64Array;

/** Writes the two files; returns their row counts. */
export async function splitHistory(options: SplitHistoryOptions): Promise<{ history: number; fresh: number }> {
  const table = tableFromIPC(await readFile(options.source));
  const ids = table.getChild(options.idColumn ?? 'client_id')!.toArray() as Int32Array;
  const times = table.getChild(options.timeColumn ?? 'trans_date')!.toArray() as Float64Array;
  const old: number[] = [];
  const fresh: number[] = [];
  for (let i = 0; i < table.numRows; i++) {
    (times[i]! > options.cut || options.newClients?.has(ids[i]!) === true ? fresh : old).push(i);
  }
  const pick = (rows: number[]): Record<string, ColumnValues> =>
    Object.fromEntries(table.schema.fields.map((f) => {
      const all = table.getChild(f.name)!.toArray() as Typed;
      const Ctor = all.constructor as new (n: number) => Typed;
      const out = new Ctor(rows.length);
      rows.forEach((r, i) => (out[i] = all[r]!));
      return [f.name, out];
    }));
  await writeArrowTable(options.history, tableFromColumns(pick(old)));
  await writeArrowTable(options.fresh, tableFromColumns(pick(fresh)));
  return { history: old.length, fresh: fresh.length };
}

/** The time below which `share` of the file's events lie (the cut giving the last `1 - share` as new events). */
export async function timeQuantile(source: string, share: number, timeColumn = 'trans_date'): Promise<number> {
  const times = Float64Array.from(tableFromIPC(await readFile(source)).getChild(timeColumn)!.toArray() as Float64Array).sort();
  return times[Math.min(times.length - 1, Math.floor(share * times.length))]!;
}
