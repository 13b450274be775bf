/**
 * The model directory: everything needed to embed new data in another process, on any backend.
 *
 * ```
 * model.json         format version, architecture (EncoderConfig), weights manifest, backend it was trained on,
 *                    sha256 of each other file (model-checksums.ts; absent in models saved before them)
 * weights.bin        float32 weights (see tensor-file.ts)
 * vocabularies.json  category → index per categorical column
 * schema.json        the schema mapping the model reads
 * training.json      the resolved training configuration (for the record; not needed to embed)
 * head.bin           supervised / fine-tuned models only: the classification head's weights
 * task.json          with head.bin: target column, kind, classes in label-index order, head manifest
 * ```
 * {@link saveModelDirectory} and {@link loadModelDirectory} are each other's opposite.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { readJsonFile } from '../data/json-file.js';
import { join } from 'node:path';
import { writeAtomically } from '../data/atomic-write.js';
import { validateSchemaMapping } from '../data/schema-mapping-io.js';
import type { SchemaMapping } from '../data/schema-mapping.js';
import { loadVocabularies, saveVocabularies, type Vocabularies } from '../data/vocabulary.js';
import { parseEncoderConfig } from '../encoders/encoder-config.js';
import { SequenceModel } from '../encoders/sequence-model.js';
import { ConfigError, DataFormatError } from '../errors.js';
import { readTensorFile, writeTensorFile } from '../data/tensor-file.js';
import type { NamedParameter } from '../encoders/parameters.js';
import { checksumModelFiles, parseModelChecksums, sha256File, verifyModelFile } from './model-checksums.js';

/** Version of the directory layout; bumped on incompatible changes. */
export const MODEL_FORMAT_VERSION = 1;

/** What a model directory holds besides the weights. */
export interface ModelDirectoryContents {
  readonly model: SequenceModel;
  readonly vocabularies: Vocabularies;
  readonly schema: SchemaMapping;
  /** Resolved training configuration, stored as JSON. */
  readonly training: unknown;
  /** Backend the model was trained on (informational; any backend can load it). */
  readonly backend: string;
}

/** A classification head saved beside the encoder (`head.bin` + `task.json`). */
export interface SavedHead {
  /** What `task.json` records besides the weights manifest (column, kind, classes, …). */
  readonly task: Readonly<Record<string, unknown>>;
  readonly parameters: readonly NamedParameter[];
}

/** Files a head adds to a model directory (checksummed in model.json when present). */
export const HEAD_FILES = ['head.bin', 'task.json'] as const;

/** Writes a model directory (creating it); each file is written atomically. */
export async function saveModelDirectory(dir: string, contents: ModelDirectoryContents & { readonly head?: SavedHead }): Promise<void> {
  await mkdir(dir, { recursive: true });
  const arrays = contents.model.parameters().map((p) => ({ name: p.name, shape: p.variable.shape, data: p.variable.dataSync() as Float32Array }));
  const manifest = await writeTensorFile(join(dir, 'weights.bin'), arrays);
  await saveVocabularies(join(dir, 'vocabularies.json'), contents.vocabularies);
  await writeJson(join(dir, 'schema.json'), contents.schema);
  await writeJson(join(dir, 'training.json'), contents.training);
  const extra: Record<string, string> = {};
  if (contents.head !== undefined) {
    const head = await writeTensorFile(
      join(dir, 'head.bin'),
      contents.head.parameters.map((p) => ({ name: p.name, shape: p.variable.shape, data: p.variable.dataSync() as Float32Array })),
    );
    await writeJson(join(dir, 'task.json'), { ...contents.head.task, head });
    for (const name of HEAD_FILES) extra[name] = await sha256File(join(dir, name));
  }
  // model.json last: its presence marks a complete directory, and it holds the other files' checksums.
  await writeJson(join(dir, 'model.json'), {
    formatVersion: MODEL_FORMAT_VERSION,
    encoder: contents.model.config,
    embeddingWidth: contents.model.width,
    backend: contents.backend,
    weights: manifest,
    checksums: { ...(await checksumModelFiles(dir)), ...extra },
  });
}

/**
 * Reads a model directory written by {@link saveModelDirectory}. The caller disposes `model`.
 * Each file is checked against the checksum model.json records (when it records any) before it is parsed.
 * @throws DataFormatError naming the file for a damaged or invalid file; ConfigError when model.json is missing.
 */
export async function loadModelDirectory(dir: string): Promise<ModelDirectoryContents> {
  const modelPath = join(dir, 'model.json');
  const meta = (await readJson(modelPath, 'model description')) as Record<string, unknown>;
  if (meta.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new DataFormatError(`${modelPath}: expected \`formatVersion\` ${MODEL_FORMAT_VERSION}, got \`${JSON.stringify(meta.formatVersion)}\``);
  }
  const config = parseEncoderConfig(meta.encoder, `${modelPath} \`encoder\``);
  const checksums = parseModelChecksums(meta.checksums, modelPath);
  for (const name of ['weights.bin', 'schema.json', 'vocabularies.json', 'training.json'] as const) await verifyModelFile(dir, name, checksums);
  const weights = await readTensorFile(join(dir, 'weights.bin'), meta.weights);
  const schema = validateSchemaMapping(await readJson(join(dir, 'schema.json'), 'schema mapping'), join(dir, 'schema.json'));
  const vocabularies = await loadVocabularies(join(dir, 'vocabularies.json'));
  const training = await readJson(join(dir, 'training.json'), 'training configuration');
  const model = new SequenceModel(config, 0);
  try {
    model.setWeights(weights);
  } catch (error) {
    model.dispose();
    throw new DataFormatError(`${join(dir, 'weights.bin')}: ${(error as Error).message}`, { cause: error });
  }
  return { model, vocabularies, schema, training, backend: typeof meta.backend === 'string' ? meta.backend : 'unknown' };
}

/** Writes pretty JSON atomically. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeAtomically(path, (tmp) => writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`));
}

/** Reads JSON; a missing file is a {@link ConfigError} (wrong path), bad JSON a {@link DataFormatError}. */
export async function readJson(path: string, what: string): Promise<unknown> {
  return readJsonFile(path, what, z.unknown(), { unreadableErrorClass: ConfigError, unreadableHint: 'is this a meles model directory?' });
}
