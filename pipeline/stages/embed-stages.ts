/**
 * Embedding in shards: each `embed-shard` job embeds one range of clients (in file order) with the
 * trained model into one Arrow file; the `embed` stage then gathers the parts into one directory
 * (`part-00000.arrow`, … plus `manifest.json`), which any Arrow reader opens as a dataset.
 * Shards are independent jobs, so several workers embed one big file in parallel. A shard reads
 * only its own clients' events from ingest's grouped copy (sequence-file.ts), so the work per
 * shard does not grow with the whole file.
 */
import { link, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readSequences } from '../../data/read-sequences.js';
import type { SequenceSet } from '../../data/sequence-set.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import { readSchemaMapping } from '../../data/schema-mapping-io.js';
import { loadVocabularies, type Vocabularies } from '../../data/vocabulary.js';
import { embedFile, shardRange } from '../../training/embed-file.js';
import { MANIFEST_FILE, readManifest } from '../manifest.js';
import { LastValueCache } from '../sequence-cache.js';
import { encodingKey, readSequenceRange } from '../../data/sequence-file.js';
import { stageDir, type StageDefinition } from '../stage.js';
import type { ShardRef } from '../steps.js';
import { INGEST_FILES } from './ingest-stage.js';
import { MODEL_SUBDIR } from './train-stage.js';

/** What one shard depends on. */
export interface EmbedShardParams {
  /** Transactions file. */
  readonly data: string;
  /** Events per client fed to the encoder (the latest ones). @defaultValue the embedder's default */
  readonly maxEvents?: number;
  /** Which clients. */
  readonly shard: ShardRef;
}

const shardResultSchema = z.object({
  clients: z.number(),
  width: z.number(),
  seconds: z.number(),
  /** Of `seconds`, reading the data (0 when this process still held it from an earlier shard). */
  readSeconds: z.number().optional(),
  /** Where the events came from: ingest's grouped file (this shard's clients only) or the data file. */
  readFrom: z.enum(['ingest', 'data']).optional(),
});

/** One shard's result. */
export type EmbedShardResult = z.infer<typeof shardResultSchema>;

/** The Arrow file inside a shard directory. */
export const SHARD_FILE = 'part.arrow';

/**
 * The sequences of the last file a shard read in this process, for the next shard of the same file.
 * Keyed by the content hashes of the data and of the model (whose vocabularies encode the
 * categories), never by path, so a changed file is read again.
 */
const lastRead = new LastValueCache<SequenceSet>(60_000);

/** The embed-shard stage. */
export const embedShardStage: StageDefinition<EmbedShardParams, EmbedShardResult> = {
  name: 'embed-shard',
  resultSchema: shardResultSchema,
  inputs: (params, outRoot) => ({
    data: params.data,
    ingest: join(stageDir(outRoot, 'ingest'), MANIFEST_FILE),
    model: join(stageDir(outRoot, 'train'), MANIFEST_FILE),
  }),
  async run(params, ctx) {
    const { index, count } = params.shard;
    ctx.progress({ fraction: 0, message: `shard ${index + 1}/${count}` });
    const modelDir = join(stageDir(ctx.outRoot, 'train'), MODEL_SUBDIR);
    const slice = await readShardSlice(ctx.outRoot, modelDir, ctx.inputHashes.data!, params.shard);
    const result = await embedFile({
      model: modelDir,
      data: params.data,
      out: join(ctx.workDir, SHARD_FILE),
      format: 'arrow',
      modelVersion: null, // the pipeline's own trained model, not a registry version
      // The slice holds just this shard's clients; without it, the whole file is read (once per
      // process) and the shard's range picked from it.
      ...(slice
        ? { read: async () => slice }
        : {
            shard: { index, count, by: 'range' as const },
            read: (data: string, schema: SchemaMapping, vocabularies: Vocabularies) =>
              lastRead.get(`${ctx.inputHashes.data}:${ctx.inputHashes.model}`, async () => (await readSequences(data, schema, { vocabularies })).sequences),
          }),
      ...(params.maxEvents !== undefined ? { maxEvents: params.maxEvents } : {}),
    });
    ctx.progress({ fraction: 1, message: `${result.clients} clients` });
    return { clients: result.clients, width: result.width, seconds: result.seconds, readSeconds: result.readSeconds, readFrom: slice ? 'ingest' : 'data' };
  },
};

/**
 * The shard's clients from ingest's grouped `sequences.bin`, or `null` when that file is missing,
 * unreadable, or made from other data or with other vocabularies than the model's (then the
 * caller reads the data file itself).
 */
async function readShardSlice(outRoot: string, modelDir: string, dataSha256: string, shard: ShardRef): Promise<SequenceSet | null> {
  try {
    const schema = await readSchemaMapping(join(modelDir, 'schema.json'));
    const vocabularies = await loadVocabularies(join(modelDir, 'vocabularies.json'));
    const grouped = join(stageDir(outRoot, 'ingest'), INGEST_FILES.sequences);
    return await readSequenceRange(grouped, { encoding: encodingKey(dataSha256, schema, vocabularies), range: (n) => shardRange(n, shard) });
  } catch {
    return null;
  }
}

/** What the merge depends on: the number of shards (their manifests are its inputs). */
export interface EmbedMergeParams {
  /** Number of shards. */
  readonly shards: number;
}

const mergeResultSchema = z.object({ clients: z.number(), width: z.number(), parts: z.array(z.string()) });

/** The merged embedding directory's result. */
export type EmbedMergeResult = z.infer<typeof mergeResultSchema>;

/** Part file name of shard `index` in the embed directory. */
export function partFileName(index: number): string {
  return `part-${String(index).padStart(5, '0')}.arrow`;
}

/** The embed (merge) stage. */
export const embedMergeStage: StageDefinition<EmbedMergeParams, EmbedMergeResult> = {
  name: 'embed',
  resultSchema: mergeResultSchema,
  inputs: (params, outRoot) =>
    Object.fromEntries(
      Array.from({ length: params.shards }, (_, index) => [
        `shard-${index}`,
        join(stageDir(outRoot, 'embed-shard', { index, count: params.shards }), MANIFEST_FILE),
      ]),
    ),
  async run(params, ctx) {
    let clients = 0;
    let width = 0;
    const parts: string[] = [];
    for (let index = 0; index < params.shards; index++) {
      const shardDir = stageDir(ctx.outRoot, 'embed-shard', { index, count: params.shards });
      const name = partFileName(index);
      // A hard link shares the bytes with the shard output; copy where links are not allowed.
      await link(join(shardDir, SHARD_FILE), join(ctx.workDir, name)).catch(() => copyFile(join(shardDir, SHARD_FILE), join(ctx.workDir, name)));
      const manifest = await readShardResult(shardDir);
      clients += manifest.clients;
      width = manifest.width;
      parts.push(name);
      ctx.progress({ fraction: (index + 1) / params.shards });
    }
    return { clients, width, parts };
  },
};

async function readShardResult(dir: string): Promise<EmbedShardResult> {
  const manifest = await readManifest(dir);
  const parsed = shardResultSchema.safeParse(manifest?.result);
  if (!parsed.success) throw new Error(`embed shard ${dir} has no valid manifest`);
  return parsed.data;
}
