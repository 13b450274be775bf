import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { tableFromIPC } from 'apache-arrow';
import { readPipelineFile } from '../../pipeline/pipeline-config.js';
import { STAGE_QUEUE } from '../../pipeline/queue/queues.js';
import { collectStatus } from '../../pipeline/queue/status.js';
import { submitPipeline } from '../../pipeline/queue/submit.js';
import {
  SCHEMA, killWorkerGroup, obliterateAll, redis, startWorkerProcess, stopWorkers, uniquePrefix, waitFor, writePipelineFile, writeTransactions, type WorkerProcess,
} from './helpers.js';

// Enough clients that a shard stays active for many 100 ms polls: embedding got ~2.5× faster (fused ops).
const CLIENTS = 4000;

describe('a worker SIGKILLed in the middle of an embed shard', () => {
  let root: string;
  const prefix = uniquePrefix();
  const workers: WorkerProcess[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'meles-kill-'));
    await writeTransactions(join(root, 'data', 'tx.arrow'), CLIENTS, 60, 9);
  });
  after(async () => {
    await stopWorkers(workers);
    await obliterateAll(prefix);
    await rm(root, { recursive: true, force: true });
  }, { timeout: 60_000 });

  it('another worker picks the shard up and the output holds every client exactly once', { timeout: 180000 }, async () => {
    const config = await readPipelineFile(await writePipelineFile(join(root, 'data', 'p.json'), {
      name: 'kill',
      data: 'tx.arrow',
      schema: SCHEMA,
      out: '../out/kill',
      train: { epochs: 1, batchSize: 32, maxBatchesPerEpoch: 1, encoder: { hidden: 48 }, validationShare: 0, splitter: { kind: 'slices', splitCount: 3, cntMin: 5, cntMax: 20 } },
      embed: { shards: 2 },
    }));
    // Every worker uses the same lock timing, so the survivor's stalled check recovers the job quickly.
    const args = ['--data-root', join(root, 'data'), '--out-root', join(root, 'out'), '--prefix', prefix, '--lock-duration', '3000', '--stalled-interval', '1000'];
    const doomed = await startWorkerProcess(args);
    workers.push(doomed);
    const { runId } = await submitPipeline(config, { redis, prefix, runId: 'kill-run' });
    const stages = new Queue(STAGE_QUEUE, { connection: redis.options, prefix });
    try {
      const shardId = `${runId}-embed-shard-0`;
      // Wait until the stage body itself has started (it reports progress first thing).
      await waitFor('shard 0 to be embedding', async () => {
        const job = await stages.getJob(shardId);
        return job && (await job.getState()) === 'active' && typeof job.progress === 'object' ? true : undefined;
      }, 120_000);
      killWorkerGroup(doomed);
      await doomed.exited;
      assert.equal(await (await stages.getJob(shardId))?.getState(), 'active', 'the shard was still running when its worker died');
      const [mid] = await collectStatus(redis, prefix, runId);
      assert.notEqual(mid?.state, 'completed', 'the kill happened before the run finished');

      workers.push(await startWorkerProcess(args));
      const run = await waitFor('the run to finish', async () => {
        const [status] = await collectStatus(redis, prefix, runId);
        if (status?.state === 'failed') throw new Error(`run failed: ${JSON.stringify(status.jobs)}`);
        return status?.state === 'completed' && status.jobs.length === 6 ? status : undefined;
      }, 120_000);
      const shard = await stages.getJob(shardId);
      assert.ok((shard?.attemptsStarted ?? 0) >= 2 || (shard?.stalledCounter ?? 0) >= 1, 'the shard was started again after the kill');
      assert.equal(run.jobs.filter((j) => j.state === 'completed').length, 6);

      const dir = join(root, 'out/kill/embed');
      const parts = (await readdir(dir)).filter((f) => f.endsWith('.arrow')).sort();
      assert.deepEqual(parts, ['part-00000.arrow', 'part-00001.arrow']);
      const ids: number[] = [];
      for (const part of parts) {
        const table = tableFromIPC(await readFile(join(dir, part)));
        ids.push(...Array.from(table.getChild('client_id')!.toArray() as Int32Array));
      }
      assert.deepEqual(ids.sort((a, b) => a - b), Array.from({ length: CLIENTS }, (_, i) => 1000 + i));
      // The killed child's temp directory was cleaned up by the retry, never renamed into place.
      const leftovers = (await readdir(join(root, 'out/kill/embed-shards'))).filter((f) => f.startsWith('.tmp-'));
      assert.deepEqual(leftovers, []);
    } finally {
      await stages.close();
    }
  });
});
