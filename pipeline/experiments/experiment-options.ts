/**
 * The options, progress events and result of `meles experiment` (run-experiment.ts), apart from the
 * workflow so the CLI can validate flags without loading tfjs. Validated once, here.
 */
import type { TargetSpec } from '../../data/label-file.js';
import { ConfigError } from '../../errors.js';
import { expectOneOf, expectString } from '../../options.js';
import type { ExperimentReportFiles } from '../../report/experiment-files.js';
import { EXPERIMENT_NAMES, SCALE_NAMES, type ExperimentName, type ScaleName } from './experiment-types.js';

/** The user's own data instead of the generated set. */
export interface UserData {
  /** Transactions file (Arrow IPC). */
  readonly transactions: string;
  /** Schema mapping JSON of the transactions file. */
  readonly schema: string;
  /** Label file (Arrow or CSV). */
  readonly targets: string;
  /** Id column of the label file and the feature files. @defaultValue the schema's id column */
  readonly id?: string;
  /** Targets to evaluate, one table column each. Minimum: one. */
  readonly targetColumns: readonly TargetSpec[];
}

/** What `meles experiment` runs. */
export interface ExperimentOptions {
  /** Which experiment. */
  readonly name: ExperimentName;
  /** Output directory: `NAME.json/.md/.html` and the cached trainings (`variants/`). */
  readonly out: string;
  /** How large every training and evaluation is. @defaultValue `'small'` */
  readonly scale: ScaleName;
  /** The user's data; undefined = `meles generate` data with a fixed seed at the scale's size. @defaultValue undefined */
  readonly data?: UserData;
  /** The command line recorded with the table. @defaultValue `meles experiment NAME --out OUT --scale SCALE` */
  readonly command: string;
}

/** The input of {@link resolveExperimentOptions}: names still unchecked. */
export interface ExperimentOptionsInput {
  readonly name: unknown;
  readonly out: unknown;
  readonly scale?: unknown;
  readonly data?: UserData;
  readonly command?: string;
}

/** Validates the options (unknown experiment or scale → ConfigError, which the CLI turns into exit 2). */
export function resolveExperimentOptions(input: ExperimentOptionsInput): ExperimentOptions {
  const name = expectOneOf('experiment', input.name, EXPERIMENT_NAMES);
  const out = expectString('out', input.out);
  const scale = expectOneOf('scale', input.scale ?? 'small', SCALE_NAMES);
  if (input.data !== undefined && input.data.targetColumns.length === 0) {
    throw new ConfigError('Expected at least one `--target COLUMN:binary|multiclass` with `--data`');
  }
  return {
    name,
    out,
    scale,
    ...(input.data === undefined ? {} : { data: input.data }),
    command: input.command ?? `meles experiment ${name} --out ${out} --scale ${scale}`,
  };
}

/** What an experiment reports while it runs (the same shape as the demo's progress). */
export type ExperimentProgress =
  | { readonly kind: 'step'; readonly name: string; readonly index: number; readonly total: number }
  | { readonly kind: 'note'; readonly message: string };

/** Hooks of `runExperiment`. */
export interface ExperimentHooks {
  /** Called on every step and detail. @defaultValue no callback */
  readonly onProgress?: (event: ExperimentProgress) => void;
}

/** One measured cell of the table, for the CLI's closing note. */
export interface ExperimentCell {
  readonly method: string;
  readonly target: string;
  readonly metric: string;
  readonly mean: number;
  readonly halfWidth: number;
  /** Labelled fraction of the comparison (label-fraction only). @defaultValue undefined (every label) */
  readonly fraction?: number;
}

/** What an experiment did. */
export interface ExperimentResult {
  /** The written table files. */
  readonly files: ExperimentReportFiles;
  /** Wall time of the run. */
  readonly seconds: number;
  /** Trainings run now / reused from an earlier run. */
  readonly trainings: { readonly ran: number; readonly reused: number };
  /** Sequence-model rows (supervised, fine-tuned; one per fraction) evaluated now / reused. */
  readonly modelRows: { readonly ran: number; readonly reused: number };
  /** The measured cells (test part). */
  readonly table: readonly ExperimentCell[];
}
