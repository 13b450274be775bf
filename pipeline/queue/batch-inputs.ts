/**
 * The dataset files a scheduled run read, as recorded in its run.json: size and modification
 * time (to tell a file that changed since an earlier run), and the range of its event times once
 * known (to tell which files can hold events after the previous run's as-of, and to refuse to
 * continue when a new or rewritten file holds older events than the state has read).
 *
 * Time ranges cost one pass over a file, so they are measured only for incremental planning and
 * carried over from the previous run for files that did not change: each file is measured once.
 */
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { isDateTimeType } from '../../data/arrow-columns.js';
import { openDatasetBatches, type Dataset } from '../../data/dataset.js';
import { EventScanner } from '../../data/event-scanner.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';

/** One input file of a run (run.json `inputs`). */
export const inputFileSchema = z.object({
  path: z.string(),
  size: z.number(),
  mtimeMs: z.number(),
  /** Oldest and newest event time of the whole file (ms for Date/Timestamp columns); `null` for a file without rows; absent when not measured. */
  minTime: z.number().nullable().optional(),
  maxTime: z.number().nullable().optional(),
});

/** One input file of a run. */
export type InputFile = z.infer<typeof inputFileSchema>;

/** A file whose time range is known. */
export type MeasuredInput = InputFile & { readonly minTime: number | null; readonly maxTime: number | null };

/** Size and modification time of every file. */
export async function statInputs(paths: readonly string[]): Promise<InputFile[]> {
  return Promise.all(
    paths.map(async (path) => {
      const s = await stat(path);
      return { path, size: s.size, mtimeMs: s.mtimeMs };
    }),
  );
}

/** Whether `a` and `b` describe the same unchanged file. */
export function sameFile(a: InputFile, b: InputFile): boolean {
  return a.path === b.path && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/** `inputs` with their time ranges: the previous run's for unchanged files, else measured now. */
export async function measureInputs(inputs: readonly InputFile[], previous: readonly InputFile[], mapping: SchemaMapping): Promise<MeasuredInput[]> {
  const known = new Map(previous.filter((p) => p.minTime !== undefined && p.maxTime !== undefined).map((p) => [p.path, p]));
  const out: MeasuredInput[] = [];
  for (const input of inputs) {
    const before = known.get(input.path);
    if (before !== undefined && sameFile(before, input)) out.push({ ...input, minTime: before.minTime ?? null, maxTime: before.maxTime ?? null });
    else out.push({ ...input, ...(await timeRange(input.path, mapping)) });
  }
  return out;
}

/** Oldest and newest event time of one file, through the scanner every reader uses (same units and checks). */
async function timeRange(path: string, mapping: SchemaMapping): Promise<{ minTime: number | null; maxTime: number | null }> {
  // Only the id and time columns matter here; categorical columns are not coded.
  const scanner = new EventScanner(path, { ...mapping, categorical: [], numeric: [] });
  let minTime = Infinity;
  let maxTime = -Infinity;
  try {
    for await (const batch of scanner.scan()) {
      const times = batch.times();
      for (let i = 0; i < times.length; i++) {
        const t = times[i]!;
        if (t < minTime) minTime = t;
        if (t > maxTime) maxTime = t;
      }
    }
  } catch (error) {
    // A file without rows holds no events; anything else is bad input, reported as the scanner words it.
    if (error instanceof Error && / found 0 rows /.test(error.message)) return { minTime: null, maxTime: null };
    throw error;
  }
  return { minTime, maxTime };
}

/**
 * Whether the dataset's time column is a Date/Timestamp (so a due time cuts it), from the first
 * file's schema; `true` when the column is missing, which the reader then reports.
 */
export async function timeIsDated(dataset: Dataset, mapping: SchemaMapping): Promise<boolean> {
  const first: Dataset = { spec: dataset.spec, files: dataset.files.slice(0, 1) };
  for await (const { schema } of openDatasetBatches(first, { columns: [mapping.time] })) {
    const field = schema.fields.find((f) => f.name === mapping.time);
    return field === undefined || isDateTimeType(field.type);
  }
  return true;
}
