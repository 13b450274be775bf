/**
 * Sandboxed processor of scheduled batch-embedding jobs (loaded through
 * batch-embed-processor.mjs, which registers tsx first).
 */
import type { SandboxedJob } from 'bullmq';
import { parseBatchEmbedJob, runBatchEmbed, type BatchEmbedRecord } from './batch-embed-job.js';
import { rootsFromEnv } from './confine-pipeline.js';
import { toJobError } from './job-errors.js';

if (typeof process.send === 'function') process.once('disconnect', () => process.exit(70));

/** Processes one batch-embed job. */
export default async function processBatchEmbedJob(job: SandboxedJob): Promise<BatchEmbedRecord> {
  try {
    const data = parseBatchEmbedJob(job.data, job.id);
    // The time the scheduler meant this run for, so a retry writes the same dated directory.
    const due = new Date(Math.floor((job.timestamp + (job.delay ?? 0)) / 1000) * 1000);
    return await runBatchEmbed(data, rootsFromEnv(), due);
  } catch (error) {
    throw toJobError(error);
  }
}
