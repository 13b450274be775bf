/**
 * Scheduled batch embedding: the job payload (validated with zod), and the job itself, which
 * embeds every file matching a path or glob with the registry's model (pinned, else latest, or a
 * version the schedule names; confined and hash-checked by `resolveModel`) into a dated output
 * directory, recording which model version produced it.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import { embedFile } from '../../training/embed-file.js';
import { commitDir, createTempDir, removeStaleTemps } from '../atomic-dir.js';
import { resolveModel, VERSION_NAME } from '../model-registry.js';
import { RUN_ID } from './job-payload.js';
import { confinePath, type WorkerRoots } from './roots.js';

/** Schema of a batch-embed job's data. */
export const batchEmbedJobSchema = z.strictObject({
  version: z.literal(1),
  kind: z.literal('batch-embed'),
  schedule: z.string().regex(RUN_ID),
  /** A file, or a glob whose last part may hold `*` and `?` (e.g. `/data/daily/*.arrow`). */
  data: z.string().min(1),
  /** Dated run directories are created under this directory. */
  out: z.string().min(1),
  /** Model registry directory. */
  registry: z.string().min(1),
  /** `latest` follows the registry (its pinned version, else its latest); `vN` uses that version. Absent = `latest`. */
  model: z.union([z.literal('latest'), z.string().regex(VERSION_NAME)]).optional(),
  maxEvents: z.int().min(1).optional(),
});

/** A validated batch-embed payload. */
export type BatchEmbedJobData = z.infer<typeof batchEmbedJobSchema>;

/** What one scheduled run wrote (also `run.json` in its directory). */
export interface BatchEmbedRecord {
  /** Schedule name. */
  readonly schedule: string;
  /** The registry version of the model used. */
  readonly modelVersion: string;
  /** Content hash of that model directory. */
  readonly modelSha256: string;
  /** The dated output directory. */
  readonly dir: string;
  /** One entry per embedded file. */
  readonly files: readonly { readonly data: string; readonly output: string; readonly clients: number }[];
  /** When the run was due (ISO time). */
  readonly scheduledFor: string;
  /** When it finished (ISO time). */
  readonly finishedAt: string;
}

/** Validates a payload; throws a ConfigError naming the job. */
export function parseBatchEmbedJob(raw: unknown, jobId: string | undefined): BatchEmbedJobData {
  const parsed = batchEmbedJobSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`Malformed payload in job ${jobId ?? '?'}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Runs one scheduled embedding (see the module comment). `due` names the dated directory. */
export async function runBatchEmbed(data: BatchEmbedJobData, roots: WorkerRoots, due: Date): Promise<BatchEmbedRecord> {
  const out = await confinePath('out', data.out, 'write', roots);
  const registry = await confinePath('registry', data.registry, 'read', roots);
  const pattern = await confinePath('data', data.data, 'read', roots);
  const files = await expandGlob(pattern);
  if (files.length === 0) throw new ConfigError(`No data file matches ${data.data}`);
  const model = await resolveModel(registry, data.model ?? 'latest');
  const finalDir = join(out, datedName(due));
  await removeStaleTemps(finalDir);
  const work = await createTempDir(finalDir);
  const written: { data: string; output: string; clients: number }[] = [];
  for (const file of files) {
    const output = `${basename(file, extname(file))}.embeddings.arrow`;
    const result = await embedFile({
      model: model.dir,
      data: file,
      out: join(work, output),
      format: 'arrow',
      ...(data.maxEvents ? { maxEvents: data.maxEvents } : {}),
    });
    written.push({ data: file, output, clients: result.clients });
  }
  const record: BatchEmbedRecord = {
    schedule: data.schedule,
    modelVersion: model.version.version,
    modelSha256: model.version.sha256,
    dir: finalDir,
    files: written,
    scheduledFor: due.toISOString(),
    finishedAt: new Date().toISOString(),
  };
  await writeFile(join(work, 'run.json'), `${JSON.stringify(record, null, 2)}\n`);
  await commitDir(work, finalDir);
  return record;
}

/** `2024-01-02T02-00-00Z`: the due time to the second, safe in file names. */
export function datedName(due: Date): string {
  return due.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** Files matching `pattern`, where only the last path part may hold `*` or `?`; sorted. */
export async function expandGlob(pattern: string): Promise<string[]> {
  const name = basename(pattern);
  if (/[*?]/.test(dirname(pattern))) throw new ConfigError(`Only the file name part of ${pattern} may contain * or ?`);
  if (!/[*?]/.test(name)) return [pattern];
  const regex = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  const entries = await readdir(dirname(pattern), { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && regex.test(e.name)).map((e) => join(dirname(pattern), e.name)).sort();
}
