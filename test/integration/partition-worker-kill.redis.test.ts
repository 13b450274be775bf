/**
 * A worker SIGKILLed in the middle of a partition job: another worker picks the job up after the
 * stalled check, rewrites that partition's part, and the output holds every client exactly once
 * (no row duplicated or lost), with no temp file left behind.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { readColumnTable } from '../../data/keyed-table.js';
import { partitionDataset } from '../../data/partition.js';
import { Vocabulary } from '../../data/vocabulary.js';
import { initBackend } from '../../encoders/backend.js';
import { buildEncoderConfig, resolveEncoderOptions } from '../../encoders/encoder-config.js';
import { SequenceModel } from '../../encoders/sequence-model.js';
import { submitPartitionRun, waitForPartitionRun } from '../../pipeline/queue/partition-jobs.js';
import { planPartitionRun } from '../../pipeline/queue/partition-task.js';
import { PARTITION_QUEUE } from '../../pipeline/queue/queues.js';
import { saveModelDirectory } from '../../training/model-files.js';
import { SCHEMA, killWorkerGroup, obliterateAll, redis, startWorkerProcess, stopWorkers, uniquePrefix, waitFor, writeTransactions, type WorkerProcess } from './helpers.js';

const CLIENTS = 1200;

describe('a worker SIGKILLed in the middle of a partition job', () => {
  let root: string;
  const prefix = uniquePrefix();
  const workers: WorkerProcess[] = [];

  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-partition-kill-'));
    await writeTransactions(join(root, 'tx.arrow'), CLIENTS, 60, 5);
    await partitionDataset({ data: join(root, 'tx.arrow'), mapping: { ...SCHEMA, transforms: {} }, out: join(root, 'data', 'parts'), partitions: 2 });
    const vocab = Vocabulary.fromJSON({ tokens: Array.from({ length: 12 }, (_, i) => String(i)), counts: Array.from({ length: 12 }, (_, i) => 12 - i) }, 'test');
    const config = buildEncoderConfig(resolveEncoderOptions({ hidden: 48 }), { categorical: [{ name: 'small_group', vocabularySize: vocab.size }], numeric: ['amount_rur'] });
    const model = new SequenceModel(config, 1);
    await saveModelDirectory(join(root, 'data', 'model'), { model, vocabularies: { small_group: vocab }, schema: { ...SCHEMA, transforms: {} }, training: {}, backend: 'wasm' });
    model.dispose();
    await mkdir(join(root, 'out'), { recursive: true });
  });
  after(async () => {
    await stopWorkers(workers);
    await obliterateAll(prefix);
    await rm(root, { recursive: true, force: true });
  }, { timeout: 60_000 });

  it('another worker redoes the partition; every client is in the output exactly once', { timeout: 240_000 }, async () => {
    const roots = { dataRoot: join(root, 'data'), outRoot: join(root, 'out') };
    // Every worker uses the same lock timing, so the survivor's stalled check recovers the job quickly.
    const args = ['--data-root', roots.dataRoot, '--out-root', roots.outRoot, '--prefix', prefix, '--lock-duration', '3000', '--stalled-interval', '1000'];
    const doomed = await startWorkerProcess(args);
    workers.push(doomed);
    const out = join(roots.outRoot, 'emb');
    const task = { kind: 'embed' as const, model: join(roots.dataRoot, 'model'), maxEvents: 2000, batchSize: 64, maxBatchEvents: 65536, l2: false };
    const run = await planPartitionRun('kill-run', task, [join(roots.dataRoot, 'parts')], out);
    const submitted = await submitPartitionRun(run, { redis, prefix, roots });
    const queue = new Queue(PARTITION_QUEUE, { connection: redis.options, prefix });
    try {
      // Wait until a partition is embedding (it reports progress after its first batch).
      const victim = await waitFor('a partition to be embedding', async () => {
        for (const id of submitted.partitionJobIds) {
          const job = await queue.getJob(id);
          if (job && (await job.getState()) === 'active' && typeof job.progress === 'object') return id;
        }
        return undefined;
      }, 120_000);
      killWorkerGroup(doomed);
      await doomed.exited;
      assert.equal(await (await queue.getJob(victim))?.getState(), 'active', 'the partition was still running when its worker died');

      workers.push(await startWorkerProcess(args));
      const result = await waitForPartitionRun(submitted.runId, 2, { redis, prefix, timeoutMs: 150_000 });
      assert.deepEqual(result, { rows: CLIENTS, parts: 2 });
      const job = await queue.getJob(victim);
      assert.ok((job?.attemptsStarted ?? 0) >= 2 || (job?.stalledCounter ?? 0) >= 1, `${victim} was started again after the kill`);

      // readColumnTable refuses a repeated id, and verifies every part against the manifest.
      const table = await readColumnTable(out, 'client_id');
      assert.deepEqual([...table.keys].map(Number).sort((a, b) => a - b), Array.from({ length: CLIENTS }, (_, i) => 1000 + i));
      assert.deepEqual((await readdir(out)).sort(), ['manifest.json', 'part-00000.arrow', 'part-00001.arrow'], 'no temp file left');
    } finally {
      await queue.close();
    }
  });
});
