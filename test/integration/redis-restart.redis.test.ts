import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { readPipelineFile } from '../../pipeline/pipeline-config.js';
import { STAGE_QUEUE } from '../../pipeline/queue/queues.js';
import { parseRedisUrl } from '../../pipeline/queue/redis-url.js';
import { collectStatus, formatStatus } from '../../pipeline/queue/status.js';
import { submitPipeline } from '../../pipeline/queue/submit.js';
import {
  SCHEMA, startWorkerProcess, uniquePrefix, waitFor, writePipelineFile, writeTransactions, type PrivateRedis, type WorkerProcess,
} from './helpers.js';
import { endPrivateRedisRun, startPrivateRedisRun } from './private-redis-run.js';

const PASSWORD = 'pw-Zq81-never-logged';

describe('Redis restarted in the middle of a flow (private redis-server with a password)', () => {
  let root: string;
  let server: PrivateRedis;
  const prefix = uniquePrefix();
  const workers: WorkerProcess[] = [];

  before(async () => {
    ({ root, server } = await startPrivateRedisRun('meles-restart-', PASSWORD));
    await writeTransactions(join(root, 'data', 'tx.arrow'), 300, 30, 4);
  });
  after(() => endPrivateRedisRun({ root, server }, PASSWORD, prefix, workers), { timeout: 60_000 });

  it('workers reconnect and the flow completes; the password never shows', { timeout: 180000 }, async () => {
    const url = `redis://:${PASSWORD}@127.0.0.1:${server.port}`;
    const redis = parseRedisUrl(url);
    assert.equal(redis.display, `redis://:***@127.0.0.1:${server.port}`);
    const config = await readPipelineFile(await writePipelineFile(join(root, 'data', 'p.json'), {
      name: 'restart',
      data: 'tx.arrow',
      schema: SCHEMA,
      out: '../out/restart',
      train: { epochs: 2, batchSize: 32, encoder: { hidden: 16 }, validationShare: 0, splitter: { kind: 'slices', splitCount: 3, cntMin: 5, cntMax: 20 } },
      embed: { shards: 2 },
    }));
    // The URL (with its password) reaches workers through REDIS_URL, not argv.
    const args = ['--data-root', join(root, 'data'), '--out-root', join(root, 'out'), '--prefix', prefix, '--lock-duration', '15000', '--stalled-interval', '2000'];
    workers.push(await startWorkerProcess(args, { REDIS_URL: url }), await startWorkerProcess(args, { REDIS_URL: url }));
    const { runId } = await submitPipeline(config, { redis, prefix, runId: 'restart-run' });

    const stages = new Queue(STAGE_QUEUE, { connection: redis.options, prefix });
    stages.on('error', () => {});
    try {
      await waitFor('ingest to finish', async () => {
        const job = await stages.getJob(`${runId}-ingest`);
        return job && (await job.getState()) === 'completed' ? true : undefined;
      }, 60_000);
    } finally {
      await stages.close();
    }
    await server.stop();
    await new Promise((r) => setTimeout(r, 2000));
    await server.start();

    const run = await waitFor('the run to finish after the restart', async () => {
      const [status] = await collectStatus(redis, prefix, runId);
      if (status?.state === 'failed') throw new Error(`run failed: ${formatStatus([status])}`);
      return status?.state === 'completed' && status.jobs.length === 6 ? status : undefined;
    }, 150_000);
    assert.equal(run.jobs.length, 6);
    const logs = workers.map((w) => w.stderr()).join('\n');
    assert.match(logs, /ECONNREFUSED|Connection is closed|connect/i, 'workers saw the outage');
    assert.ok(!logs.includes(PASSWORD), 'no password in worker logs');
    assert.ok(!JSON.stringify(await collectStatus(redis, prefix)).includes(PASSWORD), 'no password in status');
  });
});
