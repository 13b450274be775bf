/**
 * `metrics.jsonl`: the trainer's log, one {@link EpochMetrics} object per finished epoch, and its
 * reader. The writer and the reader share this one type, so the run report reads exactly the
 * fields the trainer writes instead of guessing spellings.
 */
import { appendFile } from 'node:fs/promises';
import { z } from 'zod';
import { readTextFile } from '../data/json-file.js';
import { DataFormatError } from '../errors.js';

/** File name of the metrics log inside a training run directory. */
export const EPOCH_METRICS_FILE = 'metrics.jsonl';

/** One line of `metrics.jsonl`: what one finished epoch measured. */
export interface EpochMetrics {
  /** Epoch index, counted from 0. */
  readonly epoch: number;
  /** Mean training loss over the epoch's batches (NaN when no batch ran; written as `null`). */
  readonly loss: number;
  /** Validation recall@4 (null without validation clients). */
  readonly recallAt4: number | null;
  /** Learning rate used during the epoch. */
  readonly learningRate: number;
  /** Batches trained in the epoch. */
  readonly batches: number;
  /** Events in those batches (after cropping to views). */
  readonly events: number;
  /** Wall-clock seconds of the epoch's training (validation excluded), rounded to ms. */
  readonly seconds: number;
  /** `events / seconds`, rounded. */
  readonly eventsPerSecond: number;
}

const finite = z.number().finite();

/**
 * One line as JSON has it. NaN and ±Infinity have no JSON form (`JSON.stringify` writes `null`),
 * so a null loss reads back as NaN. Unknown keys are refused so a misspelt field surfaces.
 */
const lineSchema = z.strictObject({
  epoch: z.number().int().nonnegative(),
  loss: z.number().nullable().transform((v) => v ?? NaN),
  recallAt4: finite.nullable(),
  learningRate: finite,
  batches: z.number().int().nonnegative(),
  events: z.number().int().nonnegative(),
  seconds: finite.nonnegative(),
  eventsPerSecond: finite.nonnegative(),
}) satisfies z.ZodType<EpochMetrics, unknown>;

/** Appends one epoch's metrics to the log at `path` as one JSON line (the file is created if needed). */
export async function appendEpochMetrics(path: string, metrics: EpochMetrics): Promise<void> {
  await appendFile(path, `${JSON.stringify(metrics)}\n`);
}

/**
 * Reads a metrics log written by {@link appendEpochMetrics}: one entry per epoch in epoch order.
 * A later line for the same epoch replaces the earlier one (a run stopped after writing an epoch's
 * line but before its checkpoint repeats that epoch when resumed). Blank lines are skipped.
 * @throws DataFormatError naming the file, the line and the field when the file cannot be read, a
 * line is not JSON or does not have exactly the fields of {@link EpochMetrics}.
 */
export async function readEpochMetrics(path: string): Promise<EpochMetrics[]> {
  return parseEpochMetrics(await readTextFile(path, 'training metrics'), path);
}

/** Parses metrics JSON lines already in memory, like {@link readEpochMetrics}; `where` names the source in errors. */
export function parseEpochMetrics(text: string, where: string): EpochMetrics[] {
  const byEpoch = new Map<number, EpochMetrics>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.length === 0) continue;
    const at = `${where} line ${i + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new DataFormatError(`${at}: expected a JSON object, got \`${line.slice(0, 60)}\``);
    }
    const parsed = lineSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.length === 0 ? 'the line' : `field \`${issue.path.map(String).join('.')}\``;
      throw new DataFormatError(`${at}: expected one epoch's metrics (epoch, loss, recallAt4, learningRate, batches, events, seconds, eventsPerSecond), found a problem at ${field}: ${issue.message}`);
    }
    byEpoch.set(parsed.data.epoch, parsed.data);
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}
