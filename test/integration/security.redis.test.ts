import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { STAGE_JOB_OPTIONS, STAGE_QUEUE } from '../../pipeline/queue/queues.js';
import { startPipelineWorkers, type PipelineWorkers } from '../../pipeline/queue/worker-runtime.js';
import { collectStatus } from '../../pipeline/queue/status.js';
import { SCHEMA, obliterateAll, redis, uniquePrefix, waitFor, writeTransactions } from './helpers.js';

const TIMING = { lockDuration: 5000, stalledInterval: 2000 };

describe('worker security', () => {
  let root: string;
  let dataRoot: string;
  let outRoot: string;
  let prefix: string;
  let workers: PipelineWorkers | undefined;
  let queue: Queue | undefined;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'meles-sec-'));
    dataRoot = join(root, 'data');
    outRoot = join(root, 'out');
    await writeTransactions(join(dataRoot, 'tx.arrow'), 8, 5);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  afterEach(async () => {
    await workers?.close();
    await queue?.close();
    await obliterateAll(prefix);
  });

  async function failedJob(jobId: string) {
    return waitFor(`job ${jobId} to fail`, async () => {
      const job = await queue!.getJob(jobId);
      // Read the job again once failed: the first read may predate the failure (attemptsMade 0).
      return job && (await job.getState()) === 'failed' ? await queue!.getJob(jobId) : undefined;
    }, 30_000);
  }

  it('refuses a forged job whose paths escape the roots, once, and writes nothing', { timeout: 60000 }, async () => {
    prefix = uniquePrefix();
    queue = new Queue(STAGE_QUEUE, { connection: redis.options, prefix });
    workers = startPipelineWorkers({ redis, prefix, concurrency: 1, roots: { dataRoot, outRoot }, timing: TIMING, log: () => {} });
    await workers.ready;
    const forged = {
      version: 1,
      runId: 'forged',
      step: { kind: 'ingest' },
      pipeline: { name: 'forged', data: `${dataRoot}/../../../etc/passwd`, schema: SCHEMA, out: `${outRoot}/../escaped` },
    };
    await queue.add('ingest', forged, { ...STAGE_JOB_OPTIONS, jobId: 'forged-ingest' });
    const job = await failedJob('forged-ingest');
    assert.match(job.failedReason, /Refusing `data` path "\/etc\/passwd": it resolves outside --data-root/);
    assert.equal(job.attemptsMade, 1, 'bad input must not be retried');
    assert.deepEqual((await readdir(root)).sort(), ['data']);

    // The output path is checked too, even when the input is legitimate.
    await queue.add('ingest', { ...forged, pipeline: { ...forged.pipeline, data: join(dataRoot, 'tx.arrow') } }, { ...STAGE_JOB_OPTIONS, jobId: 'forged-out' });
    const outJob = await failedJob('forged-out');
    assert.match(outJob.failedReason, /Refusing `out` path .*escaped.*outside --out-root/);
    assert.deepEqual((await readdir(root)).sort(), ['data']);
  });

  it('refuses a malformed payload before running anything, and status shows why', { timeout: 60000 }, async () => {
    prefix = uniquePrefix();
    queue = new Queue(STAGE_QUEUE, { connection: redis.options, prefix });
    workers = startPipelineWorkers({ redis, prefix, concurrency: 1, roots: { dataRoot, outRoot }, timing: TIMING, log: () => {} });
    await workers.ready;
    await queue.add('ingest', { version: 1, runId: 'bad-run', step: { kind: 'rm -rf /' }, pipeline: 'nope', extra: true }, { ...STAGE_JOB_OPTIONS, jobId: 'bad-payload' });
    const job = await failedJob('bad-payload');
    assert.match(job.failedReason, /Malformed payload in job bad-payload/);
    assert.match(job.failedReason, /step/);
    assert.equal(job.attemptsMade, 1);
    await queue.add('ingest', { runId: 'bad-run', version: 1, step: { kind: 'ingest' }, pipeline: { name: 'p', data: 'x', schema: SCHEMA } }, { ...STAGE_JOB_OPTIONS, jobId: 'bad-pipeline' });
    const second = await failedJob('bad-pipeline');
    assert.match(second.failedReason, /Invalid pipeline in job bad-pipeline[\s\S]*out/);
    const runs = await collectStatus(redis, prefix, 'bad-run');
    assert.equal(runs[0]?.state, 'failed');
    assert.ok(runs[0]?.jobs.every((j) => j.state === 'failed' && /Invalid pipeline|Malformed payload/.test(j.failedReason ?? '')));
    await assert.rejects(readdir(outRoot), { code: 'ENOENT' });
  });
});
