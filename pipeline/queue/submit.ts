/**
 * `meles pipeline submit`: the pipeline DAG as one BullMQ flow (children run before parents):
 * compare ← features ← embed ← train ← ingest, where the embed job fans out its shard jobs
 * itself (see embed-control.ts); over a partitioned dataset the embed and features jobs fan out
 * one job per partition instead. Every child fails its parent on failure, so nothing downstream
 * of a failed stage runs.
 */
import { randomBytes } from 'node:crypto';
import type { FlowJob } from 'bullmq';
import { isPartitionDirectory } from '../../data/partition-manifest.js';
import { jobIdOf, type StageJobData } from './job-payload.js';
import { pipelineToJson, type PipelineConfig } from '../pipeline-config.js';
import { CONTROL_QUEUE, STAGE_JOB_OPTIONS, STAGE_QUEUE } from './queues.js';
import type { RedisTarget } from './redis-url.js';
import { stageChain, stepOf, type PipelineStep } from '../steps.js';
import { addFlowWithin } from './bounded-flow.js';
import { rootRelativePipeline } from './confine-pipeline.js';
import type { WorkerRoots } from './roots.js';

/** Where to submit. */
export interface SubmitOptions {
  /** Redis connection. */
  readonly redis: RedisTarget;
  /** BullMQ key prefix. @defaultValue `'meles'` */
  readonly prefix: string;
  /** Run id; tests pass one, the CLI makes `<name>-<UTC time>-<random>`. @defaultValue generated */
  readonly runId?: string;
  /**
   * The workers' roots as this host sees them: paths then travel relative to them (data and
   * targets to the data root, out to the out root), so workers may mount the roots elsewhere.
   * @defaultValue absolute paths (every host must see the same paths)
   */
  readonly roots?: WorkerRoots;
  /**
   * How long connecting may take, and then again how long Redis may take to answer the add, in ms
   * (see bounded-flow.ts); past it a `RedisUnavailableError` names the address and the run.
   * Minimum: `1`. @defaultValue `MELES_REDIS_CONNECT_TIMEOUT` (seconds) or 5000
   */
  readonly timeoutMs?: number;
}

/** What was submitted. */
export interface SubmitResult {
  /** The run id (shown by `meles status`). */
  readonly runId: string;
  /** BullMQ job ids of the stages, in dependency order. */
  readonly jobIds: readonly string[];
}

/**
 * Adds the pipeline as a flow; resolves once Redis has it.
 * @throws RedisUnavailableError within about twice `timeoutMs` when Redis is down or silent.
 */
export async function submitPipeline(config: PipelineConfig, options: SubmitOptions): Promise<SubmitResult> {
  const runId = options.runId ?? newRunId(config.name);
  // Over a partitioned dataset features also fans out (one job per partition) from the control queue.
  const partitioned = await isPartitionDirectory(config.data);
  const fansOut = (stage: string): boolean => stage === 'embed' || (partitioned && stage === 'features');
  const pipeline = options.roots ? await rootRelativePipeline(config, options.roots) : pipelineToJson(config);
  let tree: FlowJob | undefined;
  const jobIds: string[] = [];
  for (const stage of stageChain(config)) {
    const step = stepOf(stage);
    const data: StageJobData = { version: 1, runId, step, pipeline };
    const jobId = jobIdOf(runId, step);
    jobIds.push(jobId);
    tree = {
      name: stage,
      queueName: fansOut(stage) ? CONTROL_QUEUE : STAGE_QUEUE,
      data,
      opts: { ...STAGE_JOB_OPTIONS, jobId, failParentOnFailure: true },
      ...(tree ? { children: [tree] } : {}),
    };
  }
  await addFlowWithin(tree!, { runId, jobIds }, {
    redis: options.redis,
    prefix: options.prefix,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return { runId, jobIds };
}

/** `<name>-<YYYYMMDDTHHMMSSZ>-<4 hex>`: sortable, unique enough, valid as a BullMQ id part. */
export function newRunId(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${name}-${stamp}-${randomBytes(2).toString('hex')}`;
}
