import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { runPipelineLocally } from '../../pipeline/local-runner.js';
import { readManifest } from '../../pipeline/manifest.js';
import { readPipelineFile } from '../../pipeline/pipeline-config.js';
import { collectStatus, type RunStatus } from '../../pipeline/queue/status.js';
import { submitPipeline } from '../../pipeline/queue/submit.js';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../../data/synthetic/generate-transactions.js';
import { partitionDataset } from '../../data/partition.js';
import { OUTPUT_MANIFEST, type PartitionedOutputManifest } from '../../data/partitioned-output.js';
import { stagePartitionRunId } from '../../pipeline/queue/stage-partitions.js';
import { PARTS_DIR } from '../../pipeline/stages/partitioned-stages.js';
import { obliterateAll, redis, startWorkerProcess, stopWorkers, uniquePrefix, waitFor, writePipelineFile, type WorkerProcess } from './helpers.js';

const TRAIN = {
  epochs: 1,
  batchSize: 32,
  encoder: { hidden: 16 },
  splitter: { kind: 'slices', splitCount: 3, cntMin: 5, cntMax: 20 },
  validationShare: 0,
};

async function waitForRun(prefix: string, runId: string, timeoutMs = 120_000): Promise<RunStatus> {
  return waitFor(`run ${runId} to finish`, async () => {
    const [run] = await collectStatus(redis, prefix, runId);
    if (run?.state === 'failed') throw new Error(`run failed:\n${JSON.stringify(run.jobs, null, 2)}`);
    return run?.state === 'completed' && run.jobs.length >= 8 ? run : undefined;
  }, timeoutMs);
}

describe('pipeline as a BullMQ flow with two worker processes', () => {
  let root: string;
  const prefix = uniquePrefix();
  const workers: WorkerProcess[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'meles-flow-'));
    // `meles generate` data (the generator behind the command), small.
    await generateTransactions({ out: join(root, 'data'), clients: 120, seed: 5, minEvents: 20, maxEvents: 60 });
  });
  after(async () => {
    await stopWorkers(workers);
    await obliterateAll(prefix);
    await rm(root, { recursive: true, force: true });
  }, { timeout: 60_000 });

  it('matches the in-process run byte for byte, and a second submit reruns nothing', { timeout: 180000 }, async () => {
    const base = {
      schema: 'schema.json', data: 'transactions.arrow', train: TRAIN, embed: { shards: 3 },
      targets: { path: 'targets.arrow', columns: [{ name: 'gender', kind: 'binary' }] }, compare: { folds: 3, numIterations: 10 },
    };
    const local = await readPipelineFile(await writePipelineFile(join(root, 'data', 'local.json'), { ...base, name: 'local', out: '../out/local' }));
    await runPipelineLocally(local);
    // Same model for both: the queued run starts from a copy of the in-process ingest and train
    // outputs (manifests match, so those stages are skipped) and embeds in parallel shard jobs.
    await cp(join(root, 'out/local/ingest'), join(root, 'out/queued/ingest'), { recursive: true });
    await cp(join(root, 'out/local/train'), join(root, 'out/queued/train'), { recursive: true });
    const queued = await readPipelineFile(await writePipelineFile(join(root, 'data', 'queued.json'), { ...base, name: 'queued', out: '../out/queued' }));

    const args = ['--data-root', join(root, 'data'), '--out-root', join(root, 'out'), '--prefix', prefix, '--lock-duration', '5000', '--stalled-interval', '2000'];
    workers.push(await startWorkerProcess(args), await startWorkerProcess(args));
    const first = await submitPipeline(queued, { redis, prefix, runId: 'queued-1' });
    const run = await waitForRun(prefix, first.runId);
    const shards = run.jobs.filter((j) => j.step.startsWith('embed-shard'));
    assert.equal(shards.length, 3);
    assert.ok(shards.every((j) => j.skipped === false));
    assert.equal(run.jobs.find((j) => j.step === 'train')?.skipped, true);
    assert.match(run.jobs.find((j) => j.step === 'compare')?.summary ?? '', /meles gender auroc/);

    for (const part of ['part-00000.arrow', 'part-00001.arrow', 'part-00002.arrow']) {
      const a = await readFile(join(root, 'out/local/embed', part));
      const b = await readFile(join(root, 'out/queued/embed', part));
      assert.ok(a.equals(b), `${part} differs between in-process and queued runs`);
    }
    // The parts are plain Arrow files: together they hold every client exactly once.
    const ids: number[] = [];
    for (const part of ['part-00000.arrow', 'part-00001.arrow', 'part-00002.arrow']) {
      const table = tableFromIPC(await readFile(join(root, 'out/queued/embed', part)));
      ids.push(...Array.from(table.getChild('client_id')!.toArray() as ArrayLike<number | bigint>, Number));
    }
    assert.equal(ids.length, 120);
    assert.equal(new Set(ids).size, 120);

    const before = await readManifest(join(root, 'out/queued/features'));
    const second = await submitPipeline(queued, { redis, prefix, runId: 'queued-2' });
    const again = await waitForRun(prefix, second.runId);
    assert.ok(again.jobs.every((j) => j.skipped === true), `every stage skipped: ${JSON.stringify(again.jobs.map((j) => [j.step, j.skipped]))}`);
    assert.equal((await readManifest(join(root, 'out/queued/features')))?.finishedAt, before?.finishedAt);
  });

  it('over a partitioned dataset: embed and features run one job per partition, equal to the in-process run; compare reads them', { timeout: 180000 }, async () => {
    await partitionDataset({ data: join(root, 'data', 'transactions.arrow'), mapping: SYNTHETIC_SCHEMA, out: join(root, 'data', 'parts'), partitions: 3 });
    const base = {
      schema: 'schema.json', data: 'parts', train: TRAIN, embed: { shards: 2 },
      targets: { path: 'targets.arrow', columns: [{ name: 'gender', kind: 'binary' }] }, compare: { folds: 3, numIterations: 10 },
    };
    const local = await readPipelineFile(await writePipelineFile(join(root, 'data', 'p-local.json'), { ...base, name: 'plocal', out: '../out/plocal' }));
    await runPipelineLocally(local);
    await cp(join(root, 'out/plocal/ingest'), join(root, 'out/pqueued/ingest'), { recursive: true });
    await cp(join(root, 'out/plocal/train'), join(root, 'out/pqueued/train'), { recursive: true });
    const queued = await readPipelineFile(await writePipelineFile(join(root, 'data', 'p-queued.json'), { ...base, name: 'pqueued', out: '../out/pqueued' }));
    if (workers.length === 0) {
      const args = ['--data-root', join(root, 'data'), '--out-root', join(root, 'out'), '--prefix', prefix, '--lock-duration', '5000', '--stalled-interval', '2000'];
      workers.push(await startWorkerProcess(args), await startWorkerProcess(args));
    }
    const { runId } = await submitPipeline(queued, { redis, prefix, runId: 'pqueued-1' });
    const run = await waitFor(`run ${runId} to finish`, async () => {
      const [status] = await collectStatus(redis, prefix, runId);
      if (status?.state === 'failed') throw new Error(`run failed:\n${JSON.stringify(status.jobs, null, 2)}`);
      return status?.state === 'completed' ? status : undefined;
    }, 150_000);
    assert.deepEqual(run.jobs.map((j) => j.step).sort(), ['compare', 'embed', 'features', 'ingest', 'train'], 'no shard jobs');
    assert.match(run.jobs.find((j) => j.step === 'embed')?.summary ?? '', /^120 clients × 16 in 3 partitions$/);
    assert.match(run.jobs.find((j) => j.step === 'compare')?.summary ?? '', /meles gender auroc/);
    for (const stage of ['embed', 'features'] as const) {
      const [partitions] = await collectStatus(redis, prefix, stagePartitionRunId(runId, stage));
      assert.equal(partitions?.state, 'completed', stage);
      assert.equal(partitions.jobs.length, 4, `${stage}: 3 partition jobs and the manifest job`);
      const read = async (out: string): Promise<PartitionedOutputManifest> => JSON.parse(await readFile(join(root, 'out', out, stage, PARTS_DIR, OUTPUT_MANIFEST), 'utf8')) as PartitionedOutputManifest;
      const [a, b] = [await read('plocal'), await read('pqueued')];
      assert.equal(b.runId, stagePartitionRunId(runId, stage), `${stage}: made by the queued partition jobs`);
      assert.deepEqual(b.parts, a.parts, `${stage}: the same parts, byte for byte, as in-process`);
    }
    assert.deepEqual((await readdir(join(root, 'out/pqueued'))).filter((n) => n.startsWith('.')), [], 'scratch directories removed');
  });

  it('over a partitioned dataset: a partition job failing on bad input fails the pipeline\'s embed job and the run', { timeout: 120000 }, async () => {
    // The trained model's weights changed after training (same size, so train is still skipped): every embed partition job refuses them.
    await cp(join(root, 'out/plocal/ingest'), join(root, 'out/pbad/ingest'), { recursive: true });
    await cp(join(root, 'out/plocal/train'), join(root, 'out/pbad/train'), { recursive: true });
    const weights = join(root, 'out/pbad/train/model/weights.bin');
    const bytes = await readFile(weights);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(weights, bytes);
    const base = { schema: 'schema.json', data: 'parts', train: TRAIN, targets: { path: 'targets.arrow', columns: [{ name: 'gender', kind: 'binary' }] }, compare: { folds: 3, numIterations: 10 } };
    const bad = await readPipelineFile(await writePipelineFile(join(root, 'data', 'p-bad.json'), { ...base, name: 'pbad', out: '../out/pbad' }));
    const { runId } = await submitPipeline(bad, { redis, prefix, runId: 'pbad-1' });
    // A failed child fails its parent through a deferred failure that a worker then applies
    // (BullMQ 6), so the run can read failed a moment before the embed job does: wait for both.
    const run = await waitFor(`run ${runId} and its embed job to fail`, async () => {
      const [status] = await collectStatus(redis, prefix, runId);
      return status?.state === 'failed' && status.jobs.find((j) => j.step === 'embed')?.state === 'failed' ? status : undefined;
    }, 90_000);
    // Features come before train and embed, so they completed; compare, after embed, never ran.
    assert.equal(run.jobs.find((j) => j.step === 'features')?.state, 'completed');
    assert.notEqual(run.jobs.find((j) => j.step === 'compare')?.state, 'completed');
    const [partitions] = await collectStatus(redis, prefix, stagePartitionRunId(runId, 'embed'));
    assert.match(JSON.stringify(partitions?.jobs), /weights\.bin/);
    await assert.rejects(readdir(join(root, 'out/pbad/embed')), { code: 'ENOENT' }, 'no embed output');
  });
});
