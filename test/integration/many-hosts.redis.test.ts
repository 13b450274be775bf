/**
 * Several machines: workers share Redis and a filesystem that each mounts at its own place. Two
 * `meles worker` processes get different roots that are the same directory (one real path, one
 * symlink); the run is submitted with root-relative paths, and every embed shard runs exactly once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { tableFromIPC } from 'apache-arrow';
import { readPipelineFile } from '../../pipeline/pipeline-config.js';
import { CONTROL_QUEUE, STAGE_QUEUE } from '../../pipeline/queue/queues.js';
import { collectStatus } from '../../pipeline/queue/status.js';
import { submitPipeline } from '../../pipeline/queue/submit.js';
import { SCHEMA, obliterateAll, redis, startWorkerProcess, stopWorkers, uniquePrefix, waitFor, writePipelineFile, writeTransactions, type WorkerProcess } from './helpers.js';

// Shards long enough (~2 s each) that the second worker's blocking fetch (5 s drain delay) wakes before they are all done.
const CLIENTS = 3000;
const SHARDS = 4;

describe('workers on two "hosts" that mount the shared roots at different paths', () => {
  let tmp: string;
  const prefix = uniquePrefix();
  const workers: WorkerProcess[] = [];

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'meles-hosts-'));
    await mkdir(join(tmp, 'shared', 'out'), { recursive: true });
    await writeTransactions(join(tmp, 'shared', 'data', 'tx.arrow'), CLIENTS, 60, 5);
    await symlink(join(tmp, 'shared'), join(tmp, 'mount-b')); // host B's mount point of the same share
  });
  after(async () => {
    await stopWorkers(workers);
    await obliterateAll(prefix);
    await rm(tmp, { recursive: true, force: true });
  }, { timeout: 60_000 });

  it('payload paths are root-relative; each shard is processed once and the embeddings hold every client once', { timeout: 240_000 }, async () => {
    const hostA = { dataRoot: join(tmp, 'shared', 'data'), outRoot: join(tmp, 'shared', 'out') };
    const hostB = { dataRoot: join(tmp, 'mount-b', 'data'), outRoot: join(tmp, 'mount-b', 'out') };
    const config = await readPipelineFile(await writePipelineFile(join(hostA.dataRoot, 'p.json'), {
      name: 'hosts',
      data: 'tx.arrow',
      schema: SCHEMA,
      out: '../out/hosts',
      train: { epochs: 1, batchSize: 32, maxBatchesPerEpoch: 1, encoder: { hidden: 16 }, validationShare: 0, splitter: { kind: 'slices', splitCount: 3, cntMin: 5, cntMax: 20 } },
      embed: { shards: SHARDS },
    }));
    const start = (roots: typeof hostA) => startWorkerProcess(['--data-root', roots.dataRoot, '--out-root', roots.outRoot, '--prefix', prefix, '--concurrency', '1']);
    // Host B (the symlinked mount) runs alone until ingest is done, then stops (after the job it
    // holds): later stages read what B wrote through A's paths. Then A and a new B share the rest.
    const b = await start(hostB);
    const { runId } = await submitPipeline(config, { redis, prefix, runId: 'hosts-run', roots: hostA });
    const stages = new Queue(STAGE_QUEUE, { connection: redis.options, prefix });
    const control = new Queue(CONTROL_QUEUE, { connection: redis.options, prefix });
    try {
      const ingest = (await stages.getJob(`${runId}-ingest`))!;
      const payload = ingest.data as { pipeline: { data: string; out: string } };
      assert.deepEqual([payload.pipeline.data, payload.pipeline.out], ['tx.arrow', 'hosts'], 'no host path in the payload');
      await waitFor('host B to finish ingest', async () => ((await stages.getJob(ingest.id!))?.finishedOn ? true : undefined), 120_000);
      await stopWorkers([b]);
      const a = await start(hostA);
      workers.push(a, await start(hostB));
      await waitFor('the run to finish', async () => {
        const [status] = await collectStatus(redis, prefix, runId);
        if (status?.state === 'failed') throw new Error(`run failed: ${JSON.stringify(status.jobs)}\n${workers.map((w) => w.stderr()).join('\n')}`);
        return status?.state === 'completed' ? status : undefined;
      }, 200_000);

      const shards = await Promise.all(Array.from({ length: SHARDS }, (_, i) => stages.getJob(`${runId}-embed-shard-${i}`)));
      for (const shard of shards) {
        assert.equal(await shard!.getState(), 'completed');
        assert.equal(shard!.attemptsStarted, 1, `${shard!.id} started once`);
        assert.equal(shard!.stalledCounter, 0);
      }
      assert.equal(await (await control.getJob(`${runId}-embed`))!.getState(), 'completed');
      const by = async (id: string) => (await stages.getJob(id))?.processedBy?.split(':').pop();
      assert.equal(await by(`${runId}-ingest`), String(b.child.pid), 'host B ran ingest');
      // The first B may still take features (the step after ingest) before it stops; the merge of
      // the embed shards, the last step, ran on a host started later.
      const embedBy = (await control.getJob(`${runId}-embed`))?.processedBy?.split(':').pop();
      assert.notEqual(embedBy, String(b.child.pid), 'the first B was gone before the end');
      assert.equal((await stages.getJob(`${runId}-features`))!.attemptsStarted, 1);

      const dir = join(hostA.outRoot, 'hosts', 'embed');
      const parts = (await readdir(dir)).filter((f) => f.endsWith('.arrow')).sort();
      assert.equal(parts.length, SHARDS);
      const ids: number[] = [];
      for (const part of parts) {
        const table = tableFromIPC(await readFile(join(dir, part)));
        ids.push(...Array.from(table.getChild('client_id')!.toArray() as Int32Array));
      }
      assert.deepEqual(ids.sort((a, b) => a - b), Array.from({ length: CLIENTS }, (_, i) => 1000 + i));
    } finally {
      await stages.close();
      await control.close();
    }
  });
});
