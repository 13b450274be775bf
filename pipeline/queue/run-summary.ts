/**
 * `summary.json` of a scheduled run: how much it embedded and how long it took, the embedding's
 * mean and standard deviation per dimension, and how far the embeddings moved since the previous
 * run (mean cosine similarity over the clients both runs embedded). `meles status` flags a run
 * whose mean cosine falls below a threshold: a changed model, a broken input, or real drift.
 *
 * Both embedding files are read whole (one row per client, `width` floats each).
 */
import { z } from 'zod';
import { columnAsFloat64, readColumnTable, readRecordedIdColumn, type ColumnTable } from '../../data/keyed-table.js';
import { openStateFile } from '../../data/state-file.js';
import { DataFormatError } from '../../errors.js';

/** Schema of `summary.json`. */
export const runSummarySchema = z.object({
  schedule: z.string(),
  scheduledFor: z.string(),
  /** `incremental` or `full`, and why. */
  path: z.enum(['incremental', 'full']),
  reason: z.string(),
  modelVersion: z.string(),
  /** Rows of the embeddings file. */
  clients: z.number(),
  /** Events the embeddings cover (for a run with a state: every event its states have read). */
  events: z.number(),
  /** Events this run read and embedded (an incremental run: those after the previous as-of). */
  newEvents: z.number(),
  /** Wall time of the run. */
  seconds: z.number(),
  embedding: z.object({ width: z.number(), mean: z.array(z.number()), std: z.array(z.number()) }),
  /** Against the newest earlier run, when there is one. */
  previous: z
    .object({
      run: z.string(),
      /** Clients in both runs. */
      clients: z.number(),
      /** Mean cosine similarity of their embeddings in the two runs; `null` when no client is in both. */
      meanCosine: z.number().nullable(),
    })
    .nullable(),
});

/** A run summary. */
export type RunSummary = z.infer<typeof runSummarySchema>;

/** Statistics of one embeddings file, and its drift from an earlier one. */
export interface EmbeddingStats {
  readonly clients: number;
  readonly width: number;
  readonly mean: number[];
  readonly std: number[];
  /** Against `previous`, when given. */
  readonly drift?: { readonly clients: number; readonly meanCosine: number | null };
}

/** Mean and (population) standard deviation per dimension of `path`, and its mean cosine similarity to `previous` over shared clients. */
export async function embeddingStats(path: string, previous?: string): Promise<EmbeddingStats> {
  const now = await readEmbeddings(path);
  const rows = now.keys.length;
  const mean: number[] = [];
  const std: number[] = [];
  for (const column of now.columns) {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += column[r]!;
    const m = rows === 0 ? 0 : sum / rows;
    let squares = 0;
    for (let r = 0; r < rows; r++) squares += (column[r]! - m) ** 2;
    mean.push(m);
    std.push(rows === 0 ? 0 : Math.sqrt(squares / rows));
  }
  const stats = { clients: rows, width: now.columns.length, mean, std };
  if (previous === undefined) return stats;
  const before = await readEmbeddings(previous);
  if (before.columns.length !== now.columns.length) return { ...stats, drift: { clients: 0, meanCosine: null } };
  const rowOf = new Map(before.keys.map((k, i) => [k, i]));
  let shared = 0;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const p = rowOf.get(now.keys[r]!);
    if (p === undefined) continue;
    let dot = 0;
    let a = 0;
    let b = 0;
    for (let j = 0; j < now.columns.length; j++) {
      const x = now.columns[j]![r]!;
      const y = before.columns[j]![p]!;
      dot += x * y;
      a += x * x;
      b += y * y;
    }
    shared++;
    // Two zero vectors are the same embedding; one zero vector is as far as it gets.
    total += a === 0 || b === 0 ? (a === b ? 1 : 0) : dot / Math.sqrt(a * b);
  }
  return { ...stats, drift: { clients: shared, meanCosine: shared === 0 ? null : total / shared } };
}

/** Events every client of a state file has read, summed. */
export async function stateEvents(path: string): Promise<number> {
  let events = 0;
  for await (const chunk of (await openStateFile(path)).chunks) for (const n of chunk.eventCount) events += n;
  return events;
}

async function readEmbeddings(path: string): Promise<{ keys: readonly string[]; columns: Float64Array[] }> {
  const id = await readRecordedIdColumn(path);
  if (id === undefined) throw new DataFormatError(`${path}: expected an embeddings file that records its id column (meles.id_column), found none`);
  const table: ColumnTable = await readColumnTable(path, id);
  const columns = table.names.flatMap((name, j) => (/^emb_\d+$/.test(name) ? [columnAsFloat64(table, j)] : []));
  return { keys: table.keys, columns };
}
