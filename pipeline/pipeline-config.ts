/**
 * The pipeline file (`pipeline.json`): which data, which schema mapping, how to train, embed,
 * compare, fit and score, and where outputs go. Validated once, here, with readable messages; relative paths
 * are resolved against the file's own directory so a pipeline file can travel with its data.
 */
import { readJsonFile } from '../data/json-file.js';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { readSchemaMapping, validateSchemaMapping } from '../data/schema-mapping-io.js';
import type { SchemaMapping } from '../data/schema-mapping.js';
import { resolveTrainingOptions } from '../training/training-options.js';

/** Pipeline names become BullMQ job-id parts, so they avoid `:` and cannot be plain integers. */
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

const targetSchema = z.strictObject({
  name: z.string().min(1),
  kind: z.enum(['binary', 'multiclass']),
});

/** The feature sets a downstream model can use: `features` (hand-crafted) and `embed` (MeLES embeddings). */
export const FEATURE_SETS = ['features', 'embed'] as const;

/** One feature set of a downstream model. */
export type FeatureSetName = (typeof FEATURE_SETS)[number];

const setsSchema = z
  .array(z.enum(FEATURE_SETS))
  .min(1)
  .refine((sets) => new Set(sets).size === sets.length, { message: 'must not name a set twice' })
  .default(['features', 'embed']);

/** `score.model` naming the pipeline's own `fit` stage output rather than a model directory. */
export const OWN_FIT = 'fit';

/** The raw shape of a pipeline file, before paths are resolved. */
export const pipelineFileSchema = z.strictObject({
  name: z.string().regex(NAME, 'must start with a letter and use only letters, digits, `-` and `_` (max 64)'),
  data: z.string().min(1),
  schema: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  out: z.string().min(1),
  train: z.record(z.string(), z.unknown()).default({}),
  embed: z
    .strictObject({
      shards: z.int().min(1).max(1000).default(1),
      maxEvents: z.int().min(1).optional(),
    })
    .default({ shards: 1 }),
  targets: z
    .strictObject({
      path: z.string().min(1),
      id: z.string().min(1).optional(),
      columns: z.array(targetSchema).min(1),
    })
    .optional(),
  compare: z
    .strictObject({
      folds: z.int().min(2).max(20).optional(),
      seed: z.int().optional(),
      numIterations: z.int().min(1).optional(),
    })
    .default({}),
  fit: z
    .strictObject({
      target: z.string().min(1),
      sets: setsSchema,
      trees: z.int().min(1).optional(),
      seed: z.int().min(0).max(2 ** 31 - 1).optional(),
    })
    .optional(),
  score: z
    .strictObject({
      model: z.string().min(1),
      sets: setsSchema,
    })
    .optional(),
});

/** One evaluation target: a label column and its task kind. */
export type PipelineTarget = z.infer<typeof targetSchema>;

/** A validated pipeline with absolute paths and a validated schema mapping. */
export interface PipelineConfig {
  /** Pipeline name (letters, digits, `-`, `_`). */
  readonly name: string;
  /** Transactions dataset to train on and embed: an Arrow/Parquet file, a directory or a glob (data/dataset.ts). */
  readonly data: string;
  /** How the data's columns map to id, time, categorical and numeric features. */
  readonly schema: SchemaMapping;
  /** Output root; stage outputs go to `<out>/<stage>`. */
  readonly out: string;
  /** Training options, handed to the trainer (which validates them). @defaultValue `{}` */
  readonly train: Readonly<Record<string, unknown>>;
  /** Embedding: number of shards (parallel jobs) and events per client. @defaultValue `{shards: 1}` */
  readonly embed: { readonly shards: number; readonly maxEvents?: number };
  /** Labels for the A/B comparison; without them the pipeline stops after features. */
  readonly targets?: { readonly path: string; readonly id?: string; readonly columns: readonly PipelineTarget[] };
  /** Comparison settings (folds, seed, trees). @defaultValue `{}` */
  readonly compare: { readonly folds?: number; readonly seed?: number; readonly numIterations?: number };
  /**
   * A LightGBM model (`fitModel`) of one of `targets.columns` on the chosen feature sets, written
   * to `<out>/fit/`; without it there is no fit stage. Sets default to `['features', 'embed']`;
   * trees to the reference's per target kind; seed to `42`.
   */
  readonly fit?: { readonly target: string; readonly sets: readonly FeatureSetName[]; readonly trees?: number; readonly seed?: number };
  /**
   * Predictions (`scoreModel`) of a model directory, or of the fit stage's model when `model` is
   * {@link OWN_FIT}, on the chosen sets (in the fit's order), written to `<out>/score/predictions.arrow`;
   * without it there is no score stage. Sets default to `['features', 'embed']`.
   */
  readonly score?: { readonly model: string; readonly sets: readonly FeatureSetName[] };
}

/** Reads and validates a pipeline file; see {@link parsePipelineConfig}. */
export async function readPipelineFile(path: string): Promise<PipelineConfig> {
  const raw = await readJsonFile(path, 'pipeline file', z.unknown(), { errorClass: ConfigError });
  const baseDir = dirname(resolve(path));
  const parsed = pipelineFileSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`Invalid pipeline file ${path}:\n${z.prettifyError(parsed.error)}`);
  const schema = typeof parsed.data.schema === 'string'
    ? await readSchemaMapping(resolveFrom(baseDir, parsed.data.schema))
    : validateSchemaMapping(parsed.data.schema, `${path} (schema)`);
  return resolvePipeline(parsed.data, schema, baseDir);
}

/**
 * Validates an already-parsed pipeline object (e.g. a job payload) whose paths are absolute
 * or relative to `baseDir`, and whose schema is inline.
 */
export function parsePipelineConfig(raw: unknown, where: string, baseDir: string): PipelineConfig {
  const parsed = pipelineFileSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`Invalid pipeline in ${where}:\n${z.prettifyError(parsed.error)}`);
  if (typeof parsed.data.schema === 'string') {
    throw new ConfigError(`Invalid pipeline in ${where}: \`schema\` must be an inline mapping here, got a path`);
  }
  return resolvePipeline(parsed.data, validateSchemaMapping(parsed.data.schema, `${where} (schema)`), baseDir);
}

/** The JSON form of a resolved pipeline (inline schema, absolute paths), as sent in job payloads. */
export function pipelineToJson(config: PipelineConfig): z.input<typeof pipelineFileSchema> {
  return {
    name: config.name,
    data: config.data,
    schema: { ...config.schema },
    out: config.out,
    train: { ...config.train },
    embed: { ...config.embed },
    ...(config.targets ? { targets: { ...config.targets, columns: [...config.targets.columns] } } : {}),
    compare: { ...config.compare },
    ...(config.fit ? { fit: { ...config.fit, sets: [...config.fit.sets] } } : {}),
    ...(config.score ? { score: { ...config.score, sets: [...config.score.sets] } } : {}),
  };
}

function resolvePipeline(file: z.infer<typeof pipelineFileSchema>, schema: SchemaMapping, baseDir: string): PipelineConfig {
  // Fail at submit time, not after ingest: the trainer's resolver names the bad field.
  resolveTrainingOptions(`pipeline \`${file.name}\` train`, file.train);
  checkDownstream(file);
  return {
    name: file.name,
    data: resolveFrom(baseDir, file.data),
    schema,
    out: resolveFrom(baseDir, file.out),
    train: file.train,
    embed: file.embed,
    ...(file.targets ? { targets: { ...file.targets, path: resolveFrom(baseDir, file.targets.path) } } : {}),
    compare: file.compare,
    ...(file.fit ? { fit: file.fit } : {}),
    ...(file.score ? { score: { ...file.score, model: file.score.model === OWN_FIT ? OWN_FIT : resolveFrom(baseDir, file.score.model) } } : {}),
  };
}

/** `fit` needs its target among `targets.columns`; `score` of the own fit needs that fit and its sets. */
function checkDownstream(file: z.infer<typeof pipelineFileSchema>): void {
  const where = `pipeline \`${file.name}\``;
  if (file.fit) {
    const names = file.targets?.columns.map((t) => t.name) ?? [];
    if (!names.includes(file.fit.target)) {
      throw new ConfigError(
        `${where} fit.target: \`${file.fit.target}\` is not one of \`targets.columns\` (${names.length > 0 ? names.join(', ') : 'the pipeline has no `targets`'})`,
      );
    }
  }
  if (file.score?.model === OWN_FIT) {
    if (!file.fit) throw new ConfigError(`${where} score.model: \`${OWN_FIT}\` names the pipeline's fit stage, but the pipeline has no \`fit\``);
    if (file.score.sets.join() !== file.fit.sets.join()) {
      throw new ConfigError(`${where} score.sets: must be the fit's sets in the same order (${file.fit.sets.join(', ')}), got ${file.score.sets.join(', ')}`);
    }
  }
}

function resolveFrom(baseDir: string, path: string): string {
  return isAbsolute(path) ? resolve(path) : resolve(baseDir, path);
}
