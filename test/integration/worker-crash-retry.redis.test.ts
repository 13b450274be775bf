/**
 * A worker process SIGKILLed (with its sandboxed children, like a lost machine) in the middle of a
 * training stage: another, already running worker starts the job again within the bound the lock
 * timing promises (`crashRetryBoundMs`, with short intervals so the test is quick) and completes
 * it. Before the kill the job ran for twice its lock duration with its child busy training and was
 * never taken for stalled: the worker's main process renews the lock while the child works.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, type Job } from 'bullmq';
import { pipelineToJson, readPipelineFile, type PipelineConfig } from '../../pipeline/pipeline-config.js';
import { jobIdOf, type StageJobData } from '../../pipeline/queue/job-payload.js';
import { crashRetryBoundMs, STAGE_JOB_OPTIONS, STAGE_QUEUE, type WorkerTiming } from '../../pipeline/queue/queues.js';
import { runStep } from '../../pipeline/run-step.js';
import {
  SCHEMA, killWorkerGroup, obliterateAll, redis, startWorkerProcess, stopWorkers, uniquePrefix, waitFor, writePipelineFile, writeTransactions, type WorkerProcess,
} from './helpers.js';

// A 2 s lock: short enough for a quick test, long enough that a worker's main process slowed by a
// loaded machine (other test files training in parallel) still renews it in time.
const TIMING: Required<WorkerTiming> = { lockDuration: 2000, stalledInterval: 500, maxStalledCount: 1 };
/** What a loaded 2-core machine may add to the bound: timers late, Redis round trips slow. */
const SLACK_MS = 6000;

describe('a worker killed in the middle of a job', () => {
  let root: string;
  let config: PipelineConfig;
  const prefix = uniquePrefix();
  const workers: WorkerProcess[] = [];
  const stages = new Queue(STAGE_QUEUE, { connection: redis.options, prefix });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'meles-crash-retry-'));
    await writeTransactions(join(root, 'data', 'tx.arrow'), 200, 30, 4);
    config = await readPipelineFile(await writePipelineFile(join(root, 'data', 'p.json'), {
      name: 'crash',
      data: 'tx.arrow',
      schema: SCHEMA,
      out: '../out/crash',
      // Long enough to outlast several lock durations before the kill; the retry resumes from the last epoch's checkpoint.
      train: { epochs: 30, batchSize: 32, encoder: { hidden: 16 }, validationShare: 0, splitter: { kind: 'slices', splitCount: 3, cntMin: 5, cntMax: 20 } },
    }));
    // Ingest here, so the queue only has the training to run (the stage the workers are tested on).
    await runStep({ kind: 'ingest' }, config, { outRoot: config.out });
  });
  after(async () => {
    await stages.close();
    await stopWorkers(workers);
    await obliterateAll(prefix);
    await rm(root, { recursive: true, force: true });
  }, { timeout: 60_000 });

  it('is started again by another worker within lockDuration + 2 x stalledInterval and completes; running for twice the lock duration before did not stall it', { timeout: 120_000 }, async (t) => {
    const args = [
      '--data-root', join(root, 'data'), '--out-root', join(root, 'out'), '--prefix', prefix,
      '--lock-duration', String(TIMING.lockDuration), '--stalled-interval', String(TIMING.stalledInterval), '--max-stalled-count', String(TIMING.maxStalledCount),
    ];
    workers.push(...(await Promise.all([startWorkerProcess(args), startWorkerProcess(args)])));
    const t0 = Date.now();
    // The train job as `meles pipeline submit` adds it (here without the flow around it).
    const runId = 'crash-run';
    const trainId = jobIdOf(runId, { kind: 'train' });
    const data: StageJobData = { version: 1, runId, step: { kind: 'train' }, pipeline: pipelineToJson(config) };
    await stages.add('train', data, { ...STAGE_JOB_OPTIONS, jobId: trainId });
    const train = async (): Promise<[Job | undefined, string | undefined]> => {
      const job = await stages.getJob(trainId);
      return [job, await job?.getState()];
    };

    // Healthy and long: the job runs for twice its lock duration in one worker's child, never put
    // back (without renewals its lock would have expired, and a stalled check found it, by then).
    const holder = await waitFor('training to run for 2 lock durations', async () => {
      const [job, state] = await train();
      if (state === 'completed') throw new Error('training finished before the kill; make it longer');
      const running = job?.processedOn !== undefined && Date.now() - job.processedOn >= 2 * TIMING.lockDuration;
      return state === 'active' && typeof job?.progress === 'object' && running ? job : undefined;
    }, 90_000);
    assert.equal(holder.stalledCounter, 0, 'the healthy job was taken for stalled');
    assert.equal(holder.attemptsStarted, 1);
    const victim = workers.find((w) => holder.processedBy?.endsWith(`:${w.child.pid}`));
    assert.ok(victim, `no worker of this test holds the job (processedBy ${holder.processedBy})`);

    const killedAt = Date.now();
    t.diagnostic(`picked up ${holder.processedOn! - t0} ms after it was added, killed after ${killedAt - t0} ms`);
    killWorkerGroup(victim);
    await victim.exited;
    // Unfinished when its worker died (with a short lock it may already be back in the queue here).
    const [, stateAfterKill] = await train();
    assert.ok(stateAfterKill === 'active' || stateAfterKill === 'waiting', `the job was ${stateAfterKill} right after the kill`);

    const survivor = workers.find((w) => w !== victim)!;
    await waitFor('another worker to start the training again', async () => {
      const [job, state] = await train();
      return job && state !== 'active' ? undefined : job && job.processedBy?.endsWith(`:${survivor.child.pid}`) ? true : undefined;
    }, crashRetryBoundMs(TIMING) + SLACK_MS + 30_000);
    const recoveredMs = Date.now() - killedAt;
    t.diagnostic(`a crashed worker's job ran again after ${recoveredMs} ms (bound ${crashRetryBoundMs(TIMING)} ms + slack ${SLACK_MS} ms)`);
    assert.ok(recoveredMs <= crashRetryBoundMs(TIMING) + SLACK_MS, `the job waited ${recoveredMs} ms`);

    const done = await waitFor('the training to complete', async () => {
      const [job, state] = await train();
      if (state === 'failed') throw new Error(`training failed: ${job?.failedReason}`);
      // Read again once completed: the first read may predate the completion (no finishedOn).
      return state === 'completed' ? stages.getJob(trainId) : undefined;
    }, 90_000);
    t.diagnostic(`completed ${Date.now() - t0} ms after it was added; the retry took ${done!.finishedOn! - done!.processedOn!} ms (a fresh child, then the epochs after the checkpoint)`);
    assert.equal(done!.stalledCounter, 1, 'put back once, for the crash only');
    assert.equal(done!.attemptsStarted, 2);
    assert.ok(done!.processedBy?.endsWith(`:${survivor.child.pid}`));
    assert.doesNotMatch(survivor.stderr(), /could not renew lock/);
  });
});
