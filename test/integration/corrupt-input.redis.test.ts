import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { readPipelineFile } from '../../pipeline/pipeline-config.js';
import { CONTROL_QUEUE, STAGE_QUEUE } from '../../pipeline/queue/queues.js';
import { collectStatus, formatStatus } from '../../pipeline/queue/status.js';
import { submitPipeline } from '../../pipeline/queue/submit.js';
import { startPipelineWorkers } from '../../pipeline/queue/worker-runtime.js';
import { SCHEMA, obliterateAll, redis, uniquePrefix, waitFor, writePipelineFile } from './helpers.js';

describe('corrupt input on a submitted pipeline', () => {
  let root: string;
  const prefix = uniquePrefix();
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'meles-corrupt-'));
  });
  after(async () => {
    await obliterateAll(prefix);
    await rm(root, { recursive: true, force: true });
  });

  it('ingest fails once with the data layer message; dependants never run; nothing is written', { timeout: 60000 }, async () => {
    const dataRoot = join(root, 'data');
    const outRoot = join(root, 'out');
    await writePipelineFile(join(dataRoot, 'pipeline.json'), {
      name: 'corrupt',
      data: 'tx.arrow',
      schema: SCHEMA,
      out: join(outRoot, 'corrupt'),
      embed: { shards: 2 },
    });
    // Arrow's magic bytes followed by garbage: a truncated/corrupt file.
    await writeFile(join(dataRoot, 'tx.arrow'), Buffer.concat([Buffer.from('ARROW1\0\0'), Buffer.alloc(64, 7)]));
    const config = await readPipelineFile(join(dataRoot, 'pipeline.json'));
    const workers = startPipelineWorkers({
      redis, prefix, concurrency: 1, roots: { dataRoot, outRoot }, timing: { lockDuration: 5000, stalledInterval: 2000 }, log: () => {},
    });
    const stages = new Queue(STAGE_QUEUE, { connection: redis.options, prefix });
    const control = new Queue(CONTROL_QUEUE, { connection: redis.options, prefix });
    try {
      await workers.ready;
      const { runId } = await submitPipeline(config, { redis, prefix, runId: 'corrupt-run' });
      const ingest = await waitFor('ingest to fail', async () => {
        const job = await stages.getJob(`${runId}-ingest`);
        // Read the job again once failed: the first read may predate the failure (attemptsMade 0).
        return job && (await job.getState()) === 'failed' ? await stages.getJob(`${runId}-ingest`) : undefined;
      }, 30_000);
      assert.equal(ingest.attemptsMade, 1, 'a data error is not retried');
      assert.match(ingest.failedReason, /DataFormatError: .*tx\.arrow/);
      const features = await waitFor('features to be failed by its child', async () => {
        const job = await stages.getJob(`${runId}-features`);
        // Read the job again once failed: the first read may predate the failure (attemptsMade 0).
        return job && (await job.getState()) === 'failed' ? await stages.getJob(`${runId}-features`) : undefined;
      }, 10_000);
      assert.match(features.failedReason, /child .*corrupt-run-ingest failed/);
      const train = await waitFor('train to be failed by its child', async () => {
        const job = await stages.getJob(`${runId}-train`);
        // Read the job again once failed: the first read may predate the failure (attemptsMade 0).
        return job && (await job.getState()) === 'failed' ? await stages.getJob(`${runId}-train`) : undefined;
      }, 10_000);
      // BullMQ fails a parent whose child failed when a worker picks it up, without calling the
      // processor: the reason names the child, and no stage code ran (no features or train output below).
      assert.match(train.failedReason, /child .*corrupt-run-features failed/);
      const embed = await waitFor('embed to be failed by its child', async () => {
        const job = await control.getJob(`${runId}-embed`);
        // Read the job again once failed: the first read may predate the failure (attemptsMade 0).
        return job && (await job.getState()) === 'failed' ? await control.getJob(`${runId}-embed`) : undefined;
      }, 10_000);
      assert.match(embed.failedReason, /child .*corrupt-run-train failed/);
      assert.equal(await stages.getJob(`${runId}-embed-shard-0`), undefined, 'no shard was ever queued');
      const status = formatStatus(await collectStatus(redis, prefix, runId));
      assert.match(status, /ingest +failed +DataFormatError/);
      // Nothing partial: no stage directory and no temp directory.
      const written = await readdir(join(outRoot, 'corrupt')).catch(() => []);
      assert.deepEqual(written, []);
    } finally {
      await workers.close();
      await workers.close(); // safe twice
      await stages.close();
      await control.close();
    }
  });
});
