/**
 * A data summary for the report, in the spirit of `meles inspect`: rows, clients, sequence-length
 * quantiles, time range, distinct values per categorical column, range of each numeric column and
 * the values the data layer replaced. Computed from the columnar sequences, never per event object.
 */
import { writeFile } from 'node:fs/promises';
import { writeAtomically } from '../../data/atomic-write.js';
import { readSequences, type ReadSequencesResult } from '../../data/read-sequences.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import { clientCount, sequenceLength } from '../../data/sequence-set.js';
import { RESERVED } from '../../data/vocabulary.js';

/** The summary as written to `inspect.json`. */
export interface DataSummary {
  readonly file: string;
  readonly rows: number;
  readonly clients: number;
  /** Events per client. */
  readonly sequenceLength: { readonly min: number; readonly p10: number; readonly p50: number; readonly p90: number; readonly max: number; readonly mean: number };
  /** Earliest and latest event time, in the file's unit. */
  readonly timeRange: { readonly min: number; readonly max: number; readonly unit: string };
  /** Distinct values seen per categorical column. */
  readonly distinctValues: Readonly<Record<string, number>>;
  /** Per numeric column, after the schema's transform (e.g. log). */
  readonly numeric: Readonly<Record<string, { readonly min: number; readonly mean: number; readonly max: number }>>;
  /** Values replaced instead of rejected (null categoricals, non-finite numerics). */
  readonly replaced: ReadSequencesResult['replaced'];
}

/** Reads `path` with `mapping` and summarises it. */
export async function summariseData(path: string, mapping: SchemaMapping): Promise<DataSummary> {
  return summariseSequences(path, await readSequences(path, mapping));
}

/** Summarises sequences already read. */
export function summariseSequences(file: string, read: ReadSequencesResult): DataSummary {
  const { sequences } = read;
  const clients = clientCount(sequences);
  const lengths = Float64Array.from({ length: clients }, (_, c) => sequenceLength(sequences, c)).sort();
  const at = (q: number): number => lengths[Math.min(clients - 1, Math.floor(q * clients))] ?? 0;
  let tMin = Infinity;
  let tMax = -Infinity;
  for (const t of sequences.times) {
    if (t < tMin) tMin = t;
    if (t > tMax) tMax = t;
  }
  const numeric: Record<string, { min: number; mean: number; max: number }> = {};
  for (const [name, values] of Object.entries(sequences.numeric)) {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    numeric[name] = { min, mean: values.length > 0 ? sum / values.length : NaN, max };
  }
  return {
    file,
    rows: read.rows,
    clients,
    sequenceLength: { min: lengths[0] ?? 0, p10: at(0.1), p50: at(0.5), p90: at(0.9), max: lengths[clients - 1] ?? 0, mean: read.rows / Math.max(clients, 1) },
    timeRange: { min: tMin, max: tMax, unit: sequences.timeUnit },
    distinctValues: Object.fromEntries(Object.entries(read.vocabularies).map(([name, v]) => [name, v.size - RESERVED])),
    numeric,
    replaced: read.replaced,
  };
}

/** Summarises `path` and writes the summary as JSON to `outPath`, atomically. */
export async function writeDataSummary(path: string, mapping: SchemaMapping, outPath: string): Promise<DataSummary> {
  const summary = await summariseData(path, mapping);
  await writeAtomically(outPath, (tmp) => writeFile(tmp, `${JSON.stringify(summary, null, 2)}\n`));
  return summary;
}
