/**
 * The embed job, run inside the worker process (it needs the Redis connection). A flow is a tree,
 * so "every shard after train" cannot be written as static children: instead the embed job, which
 * runs once train has finished, queues its shard jobs as its own children, waits for them
 * (BullMQ's step-job pattern with `moveToWaitingChildren`), and then merges their parts.
 */
import { WaitingChildrenError, type Job, type Queue } from 'bullmq';
import { pipelineFromPayload } from './confine-pipeline.js';
import { toJobError } from './job-errors.js';
import { jobIdOf, parseStageJob, type StageJobData } from './job-payload.js';
import { STAGE_JOB_OPTIONS } from './queues.js';
import type { WorkerRoots } from './roots.js';
import { runStep, type StepOutcome } from '../run-step.js';
import type { PipelineStep } from '../steps.js';

/** Builds the control-queue processor; `stages` is where shard jobs are added. */
export function embedControlProcessor(stages: Queue, roots: WorkerRoots) {
  return async (job: Job, token?: string): Promise<StepOutcome> => {
    try {
      const data = parseStageJob(job.data, job.id);
      if (data.step.kind !== 'embed') throw new Error(`control queue got a \`${data.step.kind}\` job`);
      const config = await pipelineFromPayload(data.pipeline, `job ${job.id}`, roots);
      if (data.phase !== 'merge') {
        await stages.addBulk(shardJobs(job, data, config.embed.shards));
        const next: StageJobData = { ...data, phase: 'merge' };
        await job.updateData(next);
      }
      if (await job.moveToWaitingChildren(token ?? '')) throw new WaitingChildrenError();
      return await runStep({ kind: 'embed' }, config, {
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
