import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { readPipelineFile } from '../../pipeline/pipeline-config.js';
import { STAGE_QUEUE } from '../../pipeline/queue/queues.js';
import { submitPipeline } from '../../pipeline/queue/submit.js';
import { SCHEMA, obliterateAll, redis, startWorkerProcess, uniquePrefix, waitFor, writePipelineFile, writeTransactions } from './helpers.js';

describe('graceful worker shutdown', () => {
  let root: string;
  const prefix = uniquePrefix();
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'meles-term-'));
    await writeTransactions(join(root, 'data', 'tx.arrow'), 300, 30, 6);
  });
  after(async () => {
    await obliterateAll(prefix);
    await rm(root, { recursive: true, force: true });
  });

  it('SIGTERM in the middle of a stage lets it finish, then the worker exits 0 and nothing stalls', { timeout: 150_000 }, async () => {
    const config = await readPipelineFile(await writePipelineFile(join(root, 'data', 'p.json'), {
      name: 'term', data: 'tx.arrow', schema: SCHEMA, out: '../out/term',
      train: { epochs: 3, batchSize: 32, encoder: { hidden: 16 }, validationShare: 0, splitter: { kind: 'slices', splitCount: 3, cntMin: 5, cntMax: 20 } },
    }));
    const worker = await startWorkerProcess(['--data-root', join(root, 'data'), '--out-root', join(root, 'out'), '--prefix', prefix, '--lock-duration', '5000', '--stalled-interval', '2000']);
    const stages = new Queue(STAGE_QUEUE, { connection: redis.options, prefix });
    try {
      const { runId } = await submitPipeline(config, { redis, prefix, runId: 'term-run' });
      await waitFor('train to be running', async () => {
        const job = await stages.getJob(`${runId}-train`);
        return job && (await job.getState()) === 'active' ? true : undefined;
      }, 60_000);
      worker.child.kill('SIGTERM');
      assert.equal(await worker.exited, 0);
      assert.match(worker.stderr(), /shutting down after running jobs finish[\s\S]*stopped/);
      const train = await stages.getJob(`${runId}-train`);
      assert.equal(await train?.getState(), 'completed');
      assert.equal(train?.attemptsStarted, 1);
      assert.equal(train?.stalledCounter, 0);
      assert.deepEqual((await readdir(join(root, 'out/term'))).filter((n) => !n.startsWith('.')).sort(), ['features', 'ingest', 'train']);
    } finally {
      await stages.close();
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    }
  });
});
