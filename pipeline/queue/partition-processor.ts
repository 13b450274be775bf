/**
 * The sandboxed processor of per-partition jobs (partition-jobs.ts): validates the payload,
 * resolves and confines its paths against this worker's roots, then computes the one partition
 * (partition-task.ts). Bad input fails the job once (`UnrecoverableError`); other errors retry.
 * Loaded through partition-processor.mjs, which registers tsx first.
 */
import type { SandboxedJob } from 'bullmq';
import { rootsFromEnv } from './confine-pipeline.js';
import { toJobError } from './job-errors.js';
import { parsePartitionJob, runFromPayload } from './partition-payload.js';
import { runPartition, type PartitionOutcome } from './partition-task.js';

// A child whose worker died cannot report its result; stop instead of racing the worker that
// picks the job up after the stalled check (as stage-processor.ts).
if (typeof process.send === 'function') process.once('disconnect', () => process.exit(70));

/** Computes the partition of one job (see the module comment). */
export default async function processPartitionJob(job: SandboxedJob): Promise<PartitionOutcome> {
  try {
    const data = parsePartitionJob(job.data, job.id);
    if (data.partition === undefined) throw new Error(`job ${job.id}: a manifest job on the partition queue`);
    let last = 0;
    // Progress (at most one Redis round trip per 250 ms) shows in the job, e.g. for `meles status`.
    return await runPartition(await runFromPayload(data, rootsFromEnv()), data.partition, (progress) => {
      const now = Date.now();
      if (progress.clients < progress.total && now - last < 250) return;
      last = now;
      void job.updateProgress({ ...progress }).catch(() => {});
    });
  } catch (error) {
    throw toJobError(error);
  }
}
