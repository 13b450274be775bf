/**
 * Whether a scheduled run may continue the previous run's state (incremental) or must embed every
 * event again (full), and why. Continuing equals re-embedding only when all of these hold:
 * - the model is a unidirectional GRU/LSTM (a Transformer or a bidirectional RNN has no state to
 *   continue) and the schedule sets no `maxEvents` (a state covers the whole history, a tail of N
 *   events does not);
 * - the schedule allows it (`incremental: false`, `meles schedule add --full`, forces full runs);
 * - an earlier run of the schedule kept a state, with an as-of (a numeric time column has none, so
 *   new events cannot be told from old ones), made by the same model (equal fingerprints);
 * - no file the earlier run read is gone, and no new or rewritten file holds events at or before
 *   the earlier as-of (late data the state never saw).
 * Then the run reads only the files holding events in `(previous as-of, as-of]`, and only those events.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../../data/json-file.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import { readSchemaMapping } from '../../data/schema-mapping-io.js';
import { type EncoderConfig, parseEncoderConfig } from '../../encoders/encoder-config.js';
import { modelFingerprint } from '../../training/model-fingerprint.js';
import { type InputFile, measureInputs, type MeasuredInput, sameFile } from './batch-inputs.js';
import { BATCH_STATE_FILE, findPreviousRun, type PreviousRun } from './batch-run-record.js';

/** What the plan needs to know about the model. */
export interface PlannedModel {
  /** Registry version. */
  readonly version: string;
  /** `modelFingerprint` of its directory. */
  readonly fingerprint: string;
  readonly config: EncoderConfig;
  readonly mapping: SchemaMapping;
}

/** Reads what {@link planRun} needs from a model directory (no weights). */
export async function describeModel(dir: string, version: string): Promise<PlannedModel> {
  const path = join(dir, 'model.json');
  const meta = await readJsonFile(path, 'model description', z.object({ encoder: z.unknown() }));
  return {
    version,
    fingerprint: await modelFingerprint(dir),
    config: parseEncoderConfig(meta.encoder, `${path} \`encoder\``),
    mapping: await readSchemaMapping(join(dir, 'schema.json')),
  };
}

/** Inputs of {@link planRun}. */
export interface PlanInput {
  /** Directory of the schedule's dated runs. */
  readonly out: string;
  readonly due: Date;
  /** `false` forces full runs. */
  readonly incremental: boolean;
  readonly maxEvents?: number;
  readonly model: PlannedModel;
  /** The dataset's files now (sizes and times). */
  readonly inputs: readonly InputFile[];
}

/** A full run: every event (up to the as-of) is embedded. */
export interface FullPlan {
  readonly path: 'full';
  readonly reason: string;
  /** Whether the run writes a state (recurrent models without `maxEvents`) so the next one may continue. */
  readonly keepState: boolean;
  /** The newest earlier run, if any (for the drift summary). */
  readonly previous?: PreviousRun;
  readonly inputs: readonly InputFile[];
}

/** An incremental run: the previous state continued over the events in `(previous as-of, as-of]`. */
export interface IncrementalPlan {
  readonly path: 'incremental';
  readonly reason: string;
  readonly previous: PreviousRun;
  /** The previous run's state file. */
  readonly state: string;
  /** The previous as-of, in ms. */
  readonly after: number;
  /** The files that can hold events in the window, in dataset order. */
  readonly read: readonly string[];
  readonly inputs: readonly MeasuredInput[];
}

/** What a run does. */
export type RunPlan = FullPlan | IncrementalPlan;

/** Decides the run's path (see the module comment). */
export async function planRun(input: PlanInput): Promise<RunPlan> {
  const { model } = input;
  const s = model.config.sequence;
  const full = (reason: string, keepState: boolean, previous?: PreviousRun): FullPlan => ({
    path: 'full', reason, keepState, ...(previous ? { previous } : {}), inputs: input.inputs,
  });
  const previous = await findPreviousRun(input.out, input.due);
  if (s.kind === 'transformer') return full(`model ${model.version} is a Transformer: it keeps no state to continue`, false, previous);
  if (s.bidirectional) return full(`model ${model.version} is a bidirectional ${s.kind.toUpperCase()}: its backward pass reads every event again`, false, previous);
  if (input.maxEvents !== undefined) return full(`the schedule embeds the last ${input.maxEvents} events per client; a state covers the whole history`, false, previous);
  if (!input.incremental) return full('the schedule asks for full runs (--full)', true, previous);
  if (previous === undefined) return full('no earlier run of this schedule: a new state is started', true);
  const prev = previous.record;
  const what = `the previous run ${previous.name}`;
  if (prev.state === undefined || prev.state === null) return full(`${what} kept no state`, true, previous);
  if (prev.asOf === null) return full(`${what} had no as-of (a numeric time column): new events cannot be told from old ones`, true, previous);
  if (prev.modelFingerprint !== model.fingerprint) {
    const before = `${prev.modelVersion} (${(prev.modelFingerprint ?? '?').slice(0, 12)}…)`;
    return full(`the model changed since ${what}: ${before} → ${model.version} (${model.fingerprint.slice(0, 12)}…); a new state is started`, true, previous);
  }
  const after = Date.parse(prev.asOf);
  const now = new Set(input.inputs.map((f) => f.path));
  const gone = (prev.inputs ?? []).find((f) => !now.has(f.path));
  if (gone !== undefined) return full(`${gone.path}, read by ${what}, is gone`, true, previous);
  const measured = await measureInputs(input.inputs, prev.inputs ?? [], model.mapping);
  const before = new Map((prev.inputs ?? []).map((f) => [f.path, f]));
  for (const file of measured) {
    const old = before.get(file.path);
    if ((old === undefined || !sameFile(old, file)) && file.minTime !== null && file.minTime <= after) {
      const how = old === undefined ? 'is new' : 'changed';
      return full(`${file.path} ${how} since ${what} and holds events at or before its as-of ${prev.asOf} (late data its state never read)`, true, previous);
    }
  }
  const until = input.due.getTime();
  const read = measured.filter((f) => f.maxTime !== null && f.maxTime > after && f.minTime !== null && f.minTime <= until).map((f) => f.path);
  return {
    path: 'incremental',
    reason: `continues ${what} (same model ${model.version}) over the events after ${prev.asOf}: ${read.length} of ${measured.length} files`,
    previous,
    state: join(previous.dir, prev.state),
    after,
    read,
    inputs: measured,
  };
}

/** The state file name a run writes when its plan keeps one. */
export function stateFileOf(plan: RunPlan): string | null {
  return plan.path === 'incremental' || plan.keepState ? BATCH_STATE_FILE : null;
}
