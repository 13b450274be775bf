/**
 * The embed and features stages of a pipeline whose data is a partitioned dataset (`meles
 * partition`): one unit of work per partition, by the same code as `meles embed`/`features` over a
 * partition directory (queue/partition-task.ts), instead of `embed.shards` ranges of one file. The
 * stage's output is a partitioned output in `<stage>/parts/` (`part-NNNNN.arrow` per partition and
 * its own `manifest.json`; the stage manifest stays at `<stage>/manifest.json`), which later
 * stages (compare, fit, score) read like one file.
 *
 * In-process the body runs every partition itself. On the queue the control job first submits one
 * partition job per partition (queue/partition-jobs.ts) writing into a scratch directory named by
 * this stage's manifest key ({@link partitionScratchDir}); once they and their manifest job are
 * done, the body finds that complete output there and takes it over (hard links) instead of
 * computing it again.
 */
import { copyFile, link, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PARTITION_MANIFEST } from '../../data/partition-manifest.js';
import { readPartitionManifest } from '../../data/partition-file.js';
import { openKeyedBatches, OUTPUT_MANIFEST, partitionedOutputManifestPath, readVerifiedOutput, type PartitionedOutputManifest } from '../../data/partitioned-output.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import { MANIFEST_FILE } from '../manifest.js';
import { planPartitionRun, runPartitionsLocally, type PartitionTask } from '../queue/partition-task.js';
import { stageDir, type StageContext, type StageDefinition } from '../stage.js';
import { MODEL_SUBDIR } from './train-stage.js';

/** The partitioned output inside the embed or features stage directory. */
export const PARTS_DIR = 'parts';

/** What the per-partition embed stage depends on. */
export interface EmbedPartitionsParams {
  /** The partitioned dataset directory. */
  readonly data: string;
  /** Events per client fed to the encoder (the latest ones). @defaultValue `2000` (as `meles embed`) */
  readonly maxEvents?: number;
}

/** What the per-partition features stage depends on. */
export interface FeaturesPartitionsParams {
  /** The partitioned dataset directory. */
  readonly data: string;
  /** Column mapping. */
  readonly schema: SchemaMapping;
}

const embedResultSchema = z.object({ clients: z.number(), width: z.number(), parts: z.array(z.string()), partitions: z.number() });
const featuresResultSchema = z.object({ clients: z.number(), features: z.number(), partitions: z.number() });

/** The per-partition embed stage's result (`parts`: the part files, relative to the stage directory). */
export type EmbedPartitionsResult = z.infer<typeof embedResultSchema>;
/** The per-partition features stage's result. */
export type FeaturesPartitionsResult = z.infer<typeof featuresResultSchema>;

/** Embedding defaults of `meles embed`, so a pipeline's parts equal the command's. */
const EMBED_DEFAULTS = { maxEvents: 2000, batchSize: 256, maxBatchEvents: 65536, l2: false } as const;
/** Category values kept per categorical column, as `meles features` and the one-file features stage. */
const FEATURES_MAX_VALUES = 250;

/** The per-partition task of the embed stage (the model is the pipeline's own trained model). */
export function embedPartitionTask(params: EmbedPartitionsParams, outRoot: string): PartitionTask {
  return { kind: 'embed', model: join(stageDir(outRoot, 'train'), MODEL_SUBDIR), ...EMBED_DEFAULTS, ...(params.maxEvents === undefined ? {} : { maxEvents: params.maxEvents }) };
}

/** The per-partition task of the features stage (vocabularies from the partition manifest, as `meles features`). */
export function featuresPartitionTask(params: FeaturesPartitionsParams): PartitionTask {
  return { kind: 'features', schema: params.schema, maxValues: FEATURES_MAX_VALUES };
}

/** Where the queue's partition jobs write for the stage run with manifest key `key` (removed once taken over). */
export function partitionScratchDir(outRoot: string, stage: 'embed' | 'features', key: string): string {
  return join(outRoot, `.partitions-${stage}-${key.slice(0, 16)}`);
}

/** The per-partition embed stage. */
export const embedPartitionsStage: StageDefinition<EmbedPartitionsParams, EmbedPartitionsResult> = {
  name: 'embed',
  resultSchema: embedResultSchema,
  // The partition manifest records every file's SHA-256, so hashing it identifies the data.
  inputs: (params, outRoot) => ({
    data: join(params.data, PARTITION_MANIFEST),
    ingest: join(stageDir(outRoot, 'ingest'), MANIFEST_FILE),
    model: join(stageDir(outRoot, 'train'), MANIFEST_FILE),
  }),
  async run(params, ctx) {
    const manifest = await partitionedOutput('embed', embedPartitionTask(params, ctx.outRoot), params.data, ctx);
    const parts = manifest.parts.flatMap((p) => (p.file === null ? [] : [`${PARTS_DIR}/${p.file}`]));
    return { clients: manifest.rows, width: (await columnCount(join(ctx.workDir, PARTS_DIR))) - 1, parts, partitions: manifest.parts.length };
  },
};

/** The per-partition features stage. */
export const featuresPartitionsStage: StageDefinition<FeaturesPartitionsParams, FeaturesPartitionsResult> = {
  name: 'features',
  resultSchema: featuresResultSchema,
  inputs: (params, outRoot) => ({ data: join(params.data, PARTITION_MANIFEST), ingest: join(stageDir(outRoot, 'ingest'), MANIFEST_FILE) }),
  async run(params, ctx) {
    const manifest = await partitionedOutput('features', featuresPartitionTask(params), params.data, ctx);
    return { clients: manifest.rows, features: (await columnCount(join(ctx.workDir, PARTS_DIR))) - 1, partitions: manifest.parts.length };
  },
};

/**
 * The partitioned output of `stage` in `<stage>/parts/` when the stage wrote one (partitioned data),
 * as its manifest path (readers take it like one file), else `undefined` (a one-file output).
 */
export async function partitionedStageOutput(outRoot: string, stage: 'embed' | 'features'): Promise<string | undefined> {
  return partitionedOutputManifestPath(join(stageDir(outRoot, stage), PARTS_DIR));
}

/**
 * Checks `scratch` for a complete output of this data made by queued partition jobs; returns it
 * verified (every part's SHA-256 and rows), or `undefined` when there is none or it does not fit.
 */
export async function completeScratchOutput(scratch: string, data: string): Promise<PartitionedOutputManifest | undefined> {
  const manifestPath = await partitionedOutputManifestPath(scratch);
  if (manifestPath === undefined) return undefined;
  try {
    const [{ manifest }, source] = await Promise.all([readVerifiedOutput(manifestPath), readPartitionManifest(data)]);
    return manifest.source.manifestSha256 === source.sha256 ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the stage's partitioned output into `ctx.workDir/parts`: taken over from the queue's scratch output, or computed here. */
async function partitionedOutput(stage: 'embed' | 'features', task: PartitionTask, data: string, ctx: StageContext): Promise<PartitionedOutputManifest> {
  const out = join(ctx.workDir, PARTS_DIR);
  const scratch = partitionScratchDir(ctx.outRoot, stage, ctx.key);
  try {
    const queued = await completeScratchOutput(scratch, data);
    if (queued !== undefined) {
      await mkdir(out);
      for (const file of [...queued.parts.flatMap((p) => (p.file === null ? [] : [p.file])), OUTPUT_MANIFEST]) {
        // A hard link shares the bytes with the scratch copy; copy where links are not allowed.
        await link(join(scratch, file), join(out, file)).catch(() => copyFile(join(scratch, file), join(out, file)));
      }
      ctx.progress({ fraction: 1, message: `${queued.rows} clients from ${queued.parts.length} partition jobs` });
      return queued;
    }
    const run = await planPartitionRun(`${stage}-${ctx.key.slice(0, 16)}`, task, [data], out);
    return await runPartitionsLocally(run, (p) => {
      ctx.signal.throwIfAborted();
      ctx.progress({ fraction: p.done / p.total, message: `partition ${p.done}/${p.total}` });
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Columns of the first part of a partitioned output (id column included). */
async function columnCount(dir: string): Promise<number> {
  for await (const batch of openKeyedBatches(dir)) return batch.schema.fields.length;
  return 0;
}
