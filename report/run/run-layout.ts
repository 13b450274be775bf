/**
 * The run directory `meles report RUN_DIR` reads. `run.json` describes the run (config, backend,
 * model size, timings) and names the files the report is built from, relative to the run
 * directory, so a pipeline with its own folder names can still be reported on:
 *
 * ```
 * RUN_DIR/
 *   run.json                 RunInfo (this file's schema)
 *   inspect.json             data summary, as `meles inspect --json` prints it
 *   train/metrics.jsonl      one JSON object per training epoch
 *   embeddings/*.arrow       client id + emb_* columns, one file per encoder (trained, random)
 *   compare/report.json      the A/B comparison written by `meles compare`
 *   data/targets.arrow       client id + label columns (age_group, gender)
 *   report.html, *.png       written by `meles report`
 * ```
 */
import { readJsonFile } from '../../data/json-file.js';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../errors.js';

/** File name of the run description inside a run directory. */
export const RUN_INFO_FILE = 'run.json';

const embeddingEntry = z.strictObject({
  /** Shown in titles, e.g. `MeLES` or `random encoder`. */
  name: z.string().min(1),
  /** Arrow file with the id column and `emb_*` columns, relative to the run directory. */
  path: z.string().min(1),
});

const labelEntry = z.strictObject({
  /** Column in the targets file. */
  column: z.string().min(1),
  /** Readable name for legends. */
  title: z.string().min(1).optional(),
});

/** Schema of `run.json`. Unknown keys are rejected so typos surface. */
export const runInfoSchema = z.strictObject({
  formatVersion: z.literal(1),
  /** Report title. */
  title: z.string().min(1).default('MeLES run'),
  /** When the run started (ISO 8601). */
  createdAt: z.string().optional(),
  /** Backend the encoder ran on (`wasm`, `cpu`, `tensorflow`). */
  backend: z.string().optional(),
  /** Encoder facts: parameter count and file size of the saved model. */
  model: z
    .strictObject({
      encoder: z.string().optional(),
      parameters: z.number().int().nonnegative().optional(),
      bytes: z.number().int().nonnegative().optional(),
      embeddingSize: z.number().int().positive().optional(),
    })
    .optional(),
  /** Wall-clock seconds per step, in the order they ran. */
  timings: z.array(z.strictObject({ step: z.string().min(1), seconds: z.number().nonnegative() })).default([]),
  /** The run's configuration, shown verbatim (any JSON object). */
  config: z.record(z.string(), z.unknown()).default({}),
  /** Id column shared by the embedding and targets files. */
  idColumn: z.string().min(1).default('client_id'),
  files: z.strictObject({
    comparison: z.string().min(1).default('compare/report.json'),
    metrics: z.string().min(1).default('train/metrics.jsonl'),
    inspect: z.string().min(1).default('inspect.json'),
    targets: z.string().min(1).default('data/targets.arrow'),
    embeddings: z.array(embeddingEntry).default([]),
  }),
  /** Label columns the embedding pictures are coloured by. */
  labels: z.array(labelEntry).default([{ column: 'age_group', title: 'age group' }, { column: 'gender' }]),
});

/** `run.json` after defaults, with paths still relative to the run directory. */
export type RunInfo = z.output<typeof runInfoSchema>;

/** `run.json` as written (defaults may be left out). */
export type RunInfoInput = z.input<typeof runInfoSchema>;

/**
 * Reads and validates `RUN_DIR/run.json`.
 * @throws ConfigError when the directory has no `run.json`; DataFormatError when it is invalid.
 */
export async function readRunInfo(runDir: string): Promise<RunInfo> {
  const path = join(runDir, RUN_INFO_FILE);
  return readJsonFile(path, 'a run description', runInfoSchema, { unreadableErrorClass: ConfigError, unreadableHint: `${runDir} is not a run directory` });
}

/** Resolves a path from `run.json` against the run directory (absolute paths stay as they are). */
export function runPath(runDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(runDir, path);
}
