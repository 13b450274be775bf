/**
 * The run description of a plain training run directory (`meles train --out RUN`: model.json,
 * weights.bin, training.json, metrics.jsonl), so `meles report RUN --embeddings … --targets …`
 * can report on any run, not only the demo's. Such a directory has no run.json: the model facts
 * come from model.json and weights.bin, the configuration from training.json, the training time from
 * metrics.jsonl, and the embeddings and targets from the caller. Whatever a training run does not
 * have (A/B comparison, data summary) shows as "Not available" in the report, as for the demo.
 */
import { access, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../../data/json-file.js';
import { readColumnTable, readRecordedIdColumn } from '../../data/keyed-table.js';
import { ConfigError } from '../../errors.js';
import { EPOCH_METRICS_FILE, readEpochMetrics } from '../../training/epoch-metrics.js';
import { RUN_INFO_FILE, runInfoSchema, type RunInfo, type RunInfoInput } from './run-layout.js';

/** What the caller adds to a training run directory. */
export interface TrainingRunInput {
  /** Embedding Arrow files (id column + `emb_*`), e.g. from `meles embed`; each is one picture set named after its file. */
  readonly embeddings: readonly string[];
  /** Arrow file with the id column and the label columns the pictures are coloured by. */
  readonly targets: string;
  /** Id column of both files. @defaultValue the id column the embedding files record (`meles embed` records it) */
  readonly idColumn?: string;
  /** Label columns to colour by. @defaultValue every column of `targets` except the id */
  readonly labels?: readonly string[];
}

/** The fields of model.json the report shows; everything else in it is left alone. */
const modelSchema = z.looseObject({
  encoder: z.looseObject({ sequence: z.looseObject({ kind: z.string(), hidden: z.number().int().positive(), layers: z.number().int().positive() }) }),
  embeddingWidth: z.number().int().positive(),
  backend: z.string().optional(),
  weights: z.array(z.looseObject({ shape: z.array(z.number().int().nonnegative()) })),
});

const ENCODER_NAMES: Readonly<Record<string, string>> = { gru: 'GRU', lstm: 'LSTM', transformer: 'Transformer' };

/**
 * Describes the training run in `runDir` with the given embeddings and targets.
 * @throws ConfigError naming the flag when a file is missing, the directory is not a training run
 *   (or is a demo run with its own run.json), the id column is unknown or a label column is not in
 *   the targets file; DataFormatError when model.json, training.json or metrics.jsonl is invalid.
 */
export async function trainingRunInfo(runDir: string, input: TrainingRunInput): Promise<RunInfo> {
  if (!(await isDirectory(runDir))) throw new ConfigError(`Expected RUN_DIR to be a training run directory (meles train --out), found no directory at ${runDir}`);
  if (await exists(join(runDir, RUN_INFO_FILE))) {
    throw new ConfigError(`${runDir} has ${RUN_INFO_FILE} (a demo run): run \`meles report ${runDir}\` without --embeddings/--targets/--id/--target`);
  }
  const modelPath = join(runDir, 'model.json');
  const metricsPath = join(runDir, EPOCH_METRICS_FILE);
  const hasModel = await exists(modelPath);
  const hasMetrics = await exists(metricsPath);
  if (!hasModel && !hasMetrics) {
    throw new ConfigError(`Expected ${runDir} to be a training run directory (meles train --out): found neither model.json nor ${EPOCH_METRICS_FILE}`);
  }
  if (input.embeddings.length === 0) throw new ConfigError('Expected `--embeddings` to name one or more Arrow files, found none');
  for (const path of input.embeddings) await requireFile('--embeddings', path);
  await requireFile('--targets', input.targets);
  const idColumn = input.idColumn ?? (await recordedIdColumn(input.embeddings));
  const labels = await labelColumns(input.targets, idColumn, input.labels);

  const model = hasModel ? await modelFacts(runDir, modelPath) : undefined;
  const trainingPath = join(runDir, 'training.json');
  const config = (await exists(trainingPath)) ? await readJsonFile(trainingPath, 'a training configuration', z.record(z.string(), z.unknown())) : {};
  const epochs = hasMetrics ? await readEpochMetrics(metricsPath) : [];
  const timings = epochs.length === 0 ? [] : [{ step: `train: ${epochs.length} epoch(s), from ${EPOCH_METRICS_FILE}`, seconds: epochs.reduce((s, e) => s + e.seconds, 0) }];
  const run: RunInfoInput = {
    formatVersion: 1,
    title: `meles train run: ${basename(resolve(runDir))}`,
    ...(model?.backend === undefined ? {} : { backend: model.backend }),
    ...(model === undefined ? {} : { model: model.facts }),
    timings,
    config,
    idColumn,
    files: { metrics: EPOCH_METRICS_FILE, targets: resolve(input.targets), embeddings: namedEmbeddings(input.embeddings) },
    labels: labels.map((column) => ({ column })),
  };
  return runInfoSchema.parse(run);
}

async function modelFacts(runDir: string, modelPath: string): Promise<{ backend: string | undefined; facts: NonNullable<RunInfoInput['model']> }> {
  const meta = await readJsonFile(modelPath, 'a model description', modelSchema);
  const { kind, hidden, layers } = meta.encoder.sequence;
  const parameters = meta.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  const weightsPath = join(runDir, 'weights.bin');
  const bytes = (await exists(weightsPath)) ? (await stat(weightsPath)).size : undefined;
  const encoder = `${ENCODER_NAMES[kind] ?? kind}, hidden ${hidden}${layers > 1 ? `, ${layers} layers` : ''}`;
  return { backend: meta.backend, facts: { encoder, parameters, embeddingSize: meta.embeddingWidth, ...(bytes === undefined ? {} : { bytes }) } };
}

/** The id column every embedding file records; `--id` is needed when one records none or they disagree. */
async function recordedIdColumn(paths: readonly string[]): Promise<string> {
  const recorded = await Promise.all(paths.map(async (path) => ({ path, column: await readRecordedIdColumn(path) })));
  const without = recorded.find((r) => r.column === undefined);
  if (without !== undefined) throw new ConfigError(`Expected \`--id COLUMN\`: ${without.path} does not record its id column`);
  const columns = [...new Set(recorded.map((r) => r.column!))];
  if (columns.length > 1) throw new ConfigError(`Expected \`--id COLUMN\`: the embedding files record different id columns (${columns.join(', ')})`);
  return columns[0]!;
}

async function labelColumns(targets: string, idColumn: string, wanted: readonly string[] | undefined): Promise<string[]> {
  const { names } = await readColumnTable(targets, idColumn);
  if (wanted === undefined || wanted.length === 0) {
    if (names.length === 0) throw new ConfigError(`Expected --targets ${targets} to have a label column besides \`${idColumn}\`, found none`);
    return [...names];
  }
  for (const column of wanted) {
    if (!names.includes(column)) throw new ConfigError(`Expected \`--target ${column}\` to be a column of ${targets}, found: ${names.join(', ')}`);
  }
  return [...new Set(wanted)];
}

/** One entry per file, named after it (`emb.arrow` → `emb`); repeated names get a number. */
function namedEmbeddings(paths: readonly string[]): { name: string; path: string }[] {
  const seen = new Map<string, number>();
  return paths.map((path) => {
    const stem = basename(path, extname(path)) || path;
    const count = (seen.get(stem) ?? 0) + 1;
    seen.set(stem, count);
    return { name: count === 1 ? stem : `${stem} (${count})`, path: resolve(path) };
  });
}

async function requireFile(flag: string, path: string): Promise<void> {
  if (!(await exists(path))) throw new ConfigError(`Expected \`${flag}\` to name an existing Arrow file, found nothing at ${path}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
