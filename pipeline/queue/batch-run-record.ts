/**
 * `run.json` of a scheduled run: what it embedded, with which model, and whether it continued the
 * previous run's state (`path: 'incremental'`) or embedded every event again (`'full'`), and why.
 * Read back by the next run of the schedule to decide whether it may continue.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readOptionalJsonFile } from '../../data/json-file.js';
import { inputFileSchema } from './batch-inputs.js';

/** The run record file in each dated run directory. */
export const RUN_RECORD_FILE = 'run.json';
/** The state file kept beside the embeddings of a recurrent model's run. */
export const BATCH_STATE_FILE = 'state.arrow';
/** The embeddings file inside each dated run directory. */
export const BATCH_EMBEDDINGS_FILE = 'embeddings.arrow';
/** The run summary (run-summary.ts). */
export const RUN_SUMMARY_FILE = 'summary.json';

/** Fields added with incremental runs are optional, so a run.json of an older meles still reads (and leads to a full run). */
export const runRecordSchema = z.object({
  schedule: z.string(),
  /** Registry version of the model. */
  modelVersion: z.string(),
  /** Registry content hash of the model directory. */
  modelSha256: z.string(),
  /** `modelFingerprint` of the model (what states and embedding files record). */
  modelFingerprint: z.string().optional(),
  dir: z.string(),
  data: z.string(),
  files: z.array(z.string()),
  output: z.string(),
  clients: z.number(),
  /** The cut-off applied; `null` for a numeric time column. */
  asOf: z.string().nullable(),
  scheduledFor: z.string(),
  finishedAt: z.string(),
  /** `incremental`: the previous run's state continued over the new events; `full`: every event embedded. */
  path: z.enum(['incremental', 'full']).optional(),
  /** Why that path was taken. */
  reason: z.string().optional(),
  /** The dated directory name of the run continued from (incremental), or `null`. */
  previousRun: z.string().nullable().optional(),
  /** The state file in `dir` ({@link BATCH_STATE_FILE}), or `null` when the model keeps none. */
  state: z.string().nullable().optional(),
  /** The dataset files with sizes, times and (when measured) event time ranges. */
  inputs: z.array(inputFileSchema).optional(),
  /** Events covered by the embeddings, and of those read by this run. */
  events: z.number().nullable().optional(),
  newEvents: z.number().optional(),
  /** Wall time of the run. */
  seconds: z.number().optional(),
});

/** A run.json as read. */
export type RunRecord = z.infer<typeof runRecordSchema>;

/** A run.json as this version writes it (every field present). */
export type BatchEmbedRecord = Required<RunRecord>;

const DATED = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/;

/** An earlier run of a schedule, found on disk. */
export interface PreviousRun {
  /** Its dated directory name. */
  readonly name: string;
  /** Its directory. */
  readonly dir: string;
  readonly record: RunRecord;
}

/**
 * The newest committed run in `out` due before `due` (a run directory exists only once complete:
 * runs write to a temp directory and rename it), or `undefined` when there is none.
 * @throws DataFormatError naming the run.json when it is not a run record.
 */
export async function findPreviousRun(out: string, due: Date): Promise<PreviousRun | undefined> {
  const names = (await readdir(out).catch(() => [] as string[])).filter((n) => DATED.test(n)).sort().reverse();
  for (const name of names) {
    const dir = join(out, name);
    const record = await readOptionalJsonFile(join(dir, RUN_RECORD_FILE), 'a meles scheduled run record', runRecordSchema);
    if (record === undefined || Date.parse(record.scheduledFor) >= due.getTime()) continue;
    return { name, dir, record };
  }
  return undefined;
}
