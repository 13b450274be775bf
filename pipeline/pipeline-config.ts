/**
 * The pipeline file (`pipeline.json`): which data, which schema mapping, how to train, embed and
 * compare, and where outputs go. Validated once, here, with readable messages; relative paths
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
  };
}

function resolvePipeline(file: z.infer<typeof pipelineFileSchema>, schema: SchemaMapping, baseDir: string): PipelineConfig {
  // Fail at submit time, not after ingest: the trainer's resolver names the bad field.
  resolveTrainingOptions(`pipeline \`${file.name}\` train`, file.train);
  return {
    name: file.name,
    data: resolveFrom(baseDir, file.data),
    schema,
    out: resolveFrom(baseDir, file.out),
    train: file.train,
    embed: file.embed,
    ...(file.targets ? { targets: { ...file.targets, path: resolveFrom(baseDir, file.targets.path) } } : {}),
    compare: file.compare,
  };
}

function resolveFrom(baseDir: string, path: string): string {
  return isAbsolute(path) ? resolve(path) : resolve(baseDir, path);
}
