/**
 * The embed job, run inside the worker process (it needs the Redis connection). A flow is a tree,
 * so "every shard after train" cannot be written as static children: instead the embed job, which
 * runs once train has finished, queues its shard jobs as its own children, waits for them
 * (BullMQ's step-job pattern with `moveToWaitingChildren`), and then merges their parts.
 * Over a partitioned dataset the embed and the features job both come here and queue one job per
 * partition instead (stage-partitions.ts), then take the per-partition output over as theirs.
 */
import { WaitingChildrenError, type Job, type Queue } from 'bullmq';
import { isPartitionDirectory } from '../../data/partition-manifest.js';
import { pipelineFromPayload } from './confine-pipeline.js';
import { toJobError } from './job-errors.js';
import { jobIdOf, parseStageJob, type StageJobData } from './job-payload.js';
import { STAGE_JOB_OPTIONS } from './queues.js';
import type { WorkerRoots } from './roots.js';
import { submitStagePartitions, type PartitionQueueTarget } from './stage-partitions.js';
import { runStep, type StepOutcome } from '../run-step.js';
import type { PipelineStep } from '../steps.js';

/**
 * Builds the control-queue processor; `stages` is where shard jobs are added, `partitions` where
 * per-partition jobs go (the worker's own Redis and prefix).
 */
export function embedControlProcessor(stages: Queue, roots: WorkerRoots, partitions: PartitionQueueTarget) {
  return async (job: Job, token?: string): Promise<StepOutcome> => {
    try {
      const data = parseStageJob(job.data, job.id);
      const step = data.step;
      if (step.kind !== 'embed' && step.kind !== 'features') throw new Error(`control queue got a \`${step.kind}\` job`);
      const config = await pipelineFromPayload(data.pipeline, `job ${job.id}`, roots);
      const partitioned = await isPartitionDirectory(config.data);
      if (step.kind === 'features' && !partitioned) throw new Error(`control queue got a \`features\` job for data that is not partitioned (${config.data})`);
      if (data.phase !== 'merge') {
        if (partitioned) await submitStagePartitions(job, data.runId, step.kind, config, roots, partitions);
        else await stages.addBulk(shardJobs(job, data, config.embed.shards));
        const next: StageJobData = { ...data, phase: 'merge' };
        await job.updateData(next);
      }
      if (await job.moveToWaitingChildren(token ?? '')) throw new WaitingChildrenError();
      return await runStep(step, config, {
        outRoot: config.out,
        onProgress: (progress) => void job.updateProgress({ ...progress }).catch(() => {}),
      });
    } catch (error) {
      if (error instanceof WaitingChildrenError) throw error;
      throw toJobError(error);
    }
  };
}

function shardJobs(parent: Job, data: StageJobData, count: number) {
  return Array.from({ length: count }, (_, index) => {
    const step: PipelineStep = { kind: 'embed-shard', shard: { index, count } };
    const payload: StageJobData = { version: 1, runId: data.runId, step, pipeline: data.pipeline };
    return {
      name: 'embed-shard',
      data: payload,
      opts: {
        ...STAGE_JOB_OPTIONS,
        // Deterministic ids: a retried fan-out re-adds the same shards instead of duplicating them.
        jobId: jobIdOf(data.runId, step),
        parent: { id: parent.id!, queue: parent.queueQualifiedName },
        failParentOnFailure: true,
      },
    };
  });
}
