/**
 * Reads the training metrics log (JSON lines, one object per finished epoch) into the points of
 * the training-curves chart. Lines that are not epoch summaries (no numeric `epoch` and `loss`,
 * e.g. per-batch progress lines) are skipped; a line that is not JSON is an error naming the line.
 */
import { readTextFile } from '../../data/json-file.js';
import { DataFormatError } from '../../errors.js';
import type { EpochPoint } from '../charts/training-curves.js';

/**
 * Field names each measurement may have in the log. The trainer's own names come first; the
 * others let logs from earlier trainer versions (and hand-written ones) still be read.
 */
const RECALL_KEYS = ['valRecallAt4', 'recallAt4', 'val_recall_at_4', 'recall_at_4'] as const;
const SPEED_KEYS = ['eventsPerSecond', 'eventsPerSec', 'events_per_second'] as const;

/** A training log read back: one point per epoch, in epoch order (a resumed run's later line wins). */
export interface TrainingLog {
  readonly epochs: readonly EpochPoint[];
}

/**
 * Parses a metrics JSON-lines file.
 * @throws DataFormatError naming the file and line for a line that is not a JSON object.
 */
export async function readMetricsLog(path: string): Promise<TrainingLog> {
  return parseMetricsLog(await readTextFile(path, 'training metrics'), path);
}

/** Parses metrics JSON lines already in memory; `where` names the source in errors. */
export function parseMetricsLog(text: string, where: string): TrainingLog {
  const byEpoch = new Map<number, EpochPoint>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new DataFormatError(`${where} line ${i + 1}: expected a JSON object, got \`${line.slice(0, 60)}\``);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new DataFormatError(`${where} line ${i + 1}: expected a JSON object, got \`${line.slice(0, 60)}\``);
    }
    const point = epochPoint(value as Record<string, unknown>);
    if (point) byEpoch.set(point.epoch, point);
  }
  return { epochs: [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch) };
}

function epochPoint(record: Record<string, unknown>): EpochPoint | undefined {
  const epoch = record['epoch'];
  const loss = record['loss'];
  if (typeof epoch !== 'number' || typeof loss !== 'number' || !Number.isFinite(loss)) return undefined;
  const recallAt4 = firstNumber(record, RECALL_KEYS);
  const eventsPerSecond = firstNumber(record, SPEED_KEYS);
  return {
    epoch,
    loss,
    ...(recallAt4 === undefined ? {} : { recallAt4 }),
    ...(eventsPerSecond === undefined ? {} : { eventsPerSecond }),
  };
}

function firstNumber(record: Record<string, unknown>, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const v = record[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}
