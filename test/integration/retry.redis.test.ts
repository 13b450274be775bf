import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { STAGE_JOB_OPTIONS, STAGE_QUEUE } from '../../pipeline/queue/queues.js';
import { startPipelineWorkers } from '../../pipeline/queue/worker-runtime.js';
import { SCHEMA, obliterateAll, redis, uniquePrefix, waitFor, writeTransactions } from './helpers.js';

describe('transient failures', () => {
  let root: string;
  const prefix = uniquePrefix();
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'meles-retry-'));
    await writeTransactions(join(root, 'data', 'tx.arrow'), 10, 5);
  });
  after(async () => {
    await obliterateAll(prefix);
    await rm(root, { recursive: true, force: true });
  });

  it('are retried with backoff and succeed once the cause is gone', { timeout: 60_000 }, async () => {
    const outRoot = join(root, 'out');
    await mkdir(outRoot);
    // A file where the run's directory should be: creating the stage directory fails with
    // ENOTDIR, an environment problem (not bad input), so BullMQ retries it.
    await writeFile(join(outRoot, 'blocked'), 'not a directory');
    const workers = startPipelineWorkers({
      redis, prefix, concurrency: 1, roots: { dataRoot: join(root, 'data'), outRoot }, timing: { lockDuration: 5000, stalledInterval: 2000 }, log: () => {},
    });
    const queue = new Queue(STAGE_QUEUE, { connection: redis.options, prefix });
    try {
      await workers.ready;
      const pipeline = { name: 'retry', data: join(root, 'data', 'tx.arrow'), schema: SCHEMA, out: join(outRoot, 'blocked', 'run') };
      await queue.add('ingest', { version: 1, runId: 'retry-run', step: { kind: 'ingest' }, pipeline }, { ...STAGE_JOB_OPTIONS, jobId: 'retry-run-ingest' });
      const delayed = await waitFor('the first attempt to fail into backoff', async () => {
        const job = await queue.getJob('retry-run-ingest');
        return job && (await job.getState()) === 'delayed' ? job : undefined;
      }, 30_000);
      assert.equal(delayed.attemptsMade, 1);
      assert.match(delayed.failedReason, /ENOTDIR|EEXIST|not a directory/);
      await rm(join(outRoot, 'blocked'));
      const done = await waitFor('the retry to succeed', async () => {
        const job = await queue.getJob('retry-run-ingest');
        return job && (await job.getState()) === 'completed' ? job : undefined;
      }, 30_000);
      assert.equal(done.attemptsMade, 2);
      assert.deepEqual((await readdir(join(outRoot, 'blocked', 'run', 'ingest'))).sort(), ['manifest.json', 'sequences.bin', 'summary.json', 'vocabularies.json']);
    } finally {
      await workers.close();
      await queue.close();
    }
  });
});
