/**
 * The fan-out of a pipeline's embed or features job over a partitioned dataset: instead of shard
 * jobs, one per-partition run (partition-jobs.ts, the same jobs as `meles embed --submit`) added
 * under the pipeline job, writing into the stage's scratch directory (named by the stage's
 * manifest key); the pipeline job then takes that output over as its stage output
 * (stages/partitioned-stages.ts).
 */
import type { Job } from 'bullmq';
import type { PipelineConfig } from '../pipeline-config.js';
import { isStageUpToDate, stageKey } from '../run-stage.js';
import { embedPartitionsParams } from '../run-step.js';
import { completeScratchOutput, embedPartitionsStage, embedPartitionTask, featuresPartitionsStage, featuresPartitionTask, partitionScratchDir } from '../stages/partitioned-stages.js';
import { submitPartitionRun } from './partition-jobs.js';
import { planPartitionRun, type PartitionTask } from './partition-task.js';
import type { RedisTarget } from './redis-url.js';
import type { WorkerRoots } from './roots.js';

/** Where the partition jobs go: the Redis and prefix the pipeline runs on. */
export interface PartitionQueueTarget {
  /** Redis connection. */
  readonly redis: RedisTarget;
  /** BullMQ key prefix. @defaultValue `'meles'` (the CLI's) */
  readonly prefix: string;
}

/** The run id of a pipeline stage's per-partition run (its jobs are `<run>-<stage>-part-<i>`). */
export function stagePartitionRunId(pipelineRunId: string, stage: 'embed' | 'features'): string {
  return `${pipelineRunId}-${stage}`;
}

/**
 * Adds one job per partition (and the run's manifest job) under `parent`, unless the stage is
 * already up to date or its scratch directory already holds the complete output (then the
 * parent goes straight on). Returns whether jobs were added.
 * @throws DataFormatError when the data is not a readable partitioned dataset; ConfigError for a path outside the roots.
 */
export async function submitStagePartitions(parent: Job, pipelineRunId: string, stage: 'embed' | 'features', config: PipelineConfig, roots: WorkerRoots, target: PartitionQueueTarget): Promise<boolean> {
  const outRoot = { outRoot: config.out };
  let key: string;
  let task: PartitionTask;
  if (stage === 'embed') {
    const params = embedPartitionsParams(config);
    if (await isStageUpToDate(embedPartitionsStage, params, outRoot)) return false;
    key = (await stageKey(embedPartitionsStage, params, outRoot)).key;
    task = embedPartitionTask(params, config.out);
  } else {
    const params = { data: config.data, schema: config.schema };
    if (await isStageUpToDate(featuresPartitionsStage, params, outRoot)) return false;
    key = (await stageKey(featuresPartitionsStage, params, outRoot)).key;
    task = featuresPartitionTask(params);
  }
  const scratch = partitionScratchDir(config.out, stage, key);
  if ((await completeScratchOutput(scratch, config.data)) !== undefined) return false;
  const run = await planPartitionRun(stagePartitionRunId(pipelineRunId, stage), task, [config.data], scratch);
  await submitPartitionRun(run, { redis: target.redis, prefix: target.prefix, roots, parent: { id: parent.id!, queue: parent.queueQualifiedName }, reconnect: true });
  return true;
}
