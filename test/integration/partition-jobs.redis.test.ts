/**
 * Per-partition jobs on real Redis: a submitted embed over a partitioned dataset runs one job per
 * partition on a worker that mounts the roots at another path (a symlink), and writes the same
 * parts as the in-process run plus the manifest. Bad input (a corrupt partition, a worker whose
 * roots do not hold the partition) fails the job once, fails the run, writes no manifest and
 * leaves the parts already written alone; a run whose every partition fails leaves no output
 * directory. `--wait-timeout` stops waiting (exit 1, naming the run) and leaves the jobs queued.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, type Job } from 'bullmq';
import { partitionDataset } from '../../data/partition.js';
import { OUTPUT_MANIFEST, type PartitionedOutputManifest } from '../../data/partitioned-output.js';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../../data/synthetic/generate-transactions.js';
import { Vocabulary } from '../../data/vocabulary.js';
import { initBackend } from '../../encoders/backend.js';
import { buildEncoderConfig, resolveEncoderOptions } from '../../encoders/encoder-config.js';
import { SequenceModel } from '../../encoders/sequence-model.js';
import { PartitionRunFailedError, partitionJobId, manifestJobId, submitPartitionRun, waitForPartitionRun } from '../../pipeline/queue/partition-jobs.js';
import { planPartitionRun, runPartitionsLocally, type EmbedPartitionTask } from '../../pipeline/queue/partition-task.js';
import { PARTITION_MANIFEST_QUEUE, PARTITION_QUEUE } from '../../pipeline/queue/queues.js';
import { collectStatus, formatStatus } from '../../pipeline/queue/status.js';
import { startPipelineWorkers, type PipelineWorkers } from '../../pipeline/queue/worker-runtime.js';
import { saveModelDirectory } from '../../training/model-files.js';
import { obliterateAll, redis, REPO, uniquePrefix, waitFor } from './helpers.js';

const PARTITIONS = 3;

describe('per-partition jobs on real Redis', () => {
  let tmp: string;
  let hostA: { dataRoot: string; outRoot: string };
  let workers: PipelineWorkers;
  let partitionQueue: Queue;
  let manifestQueue: Queue;
  let task: EmbedPartitionTask;
  const prefix = uniquePrefix();

  before(async () => {
    await initBackend('wasm', { quiet: true });
    tmp = await mkdtemp(join(tmpdir(), 'meles-partition-jobs-'));
    hostA = { dataRoot: join(tmp, 'share', 'data'), outRoot: join(tmp, 'share', 'out') };
    await mkdir(hostA.outRoot, { recursive: true });
    const data = (await generateTransactions({ out: join(tmp, 'gen'), clients: 90, minEvents: 5, maxEvents: 40, seed: 4 })).transactionsPath;
    await partitionDataset({ data, mapping: SYNTHETIC_SCHEMA, out: join(hostA.dataRoot, 'parts'), partitions: PARTITIONS });
    const vocab = Vocabulary.fromJSON({ tokens: ['0', '1', '2'], counts: [3, 2, 1] }, 'test');
    const config = buildEncoderConfig(resolveEncoderOptions({ hidden: 6, categoricalDim: 2 }), {
      categorical: SYNTHETIC_SCHEMA.categorical.map((name) => ({ name, vocabularySize: vocab.size })),
      numeric: SYNTHETIC_SCHEMA.numeric,
    });
    const model = new SequenceModel(config, 3);
    const modelDir = join(hostA.dataRoot, 'model');
    await saveModelDirectory(modelDir, { model, vocabularies: Object.fromEntries(SYNTHETIC_SCHEMA.categorical.map((c) => [c, vocab])), schema: SYNTHETIC_SCHEMA, training: {}, backend: 'wasm' });
    model.dispose();
    task = { kind: 'embed', model: modelDir, maxEvents: 2000, batchSize: 256, maxBatchEvents: 65536, l2: false };
    // The worker is "host B": it mounts the same share at another path.
    await symlink(join(tmp, 'share'), join(tmp, 'mount-b'));
    const hostB = { dataRoot: join(tmp, 'mount-b', 'data'), outRoot: join(tmp, 'mount-b', 'out') };
    workers = startPipelineWorkers({ redis, prefix, concurrency: 2, roots: hostB, timing: { lockDuration: 10_000, stalledInterval: 5000 }, log: () => {} });
    partitionQueue = new Queue(PARTITION_QUEUE, { connection: redis.options, prefix });
    manifestQueue = new Queue(PARTITION_MANIFEST_QUEUE, { connection: redis.options, prefix });
    await workers.ready;
  });
  after(async () => {
    await workers?.close();
    await partitionQueue?.close();
    await manifestQueue?.close();
    await obliterateAll(prefix);
    await rm(tmp, { recursive: true, force: true });
  }, { timeout: 60_000 });

  const jobsOf = async (runId: string): Promise<Job[]> => Promise.all(Array.from({ length: PARTITIONS }, async (_, i) => (await partitionQueue.getJob(partitionJobId(runId, i)))!));
  const failedOnce = async (job: Job): Promise<void> => {
    assert.equal(await job.getState(), 'failed', job.id);
    assert.equal(job.attemptsMade, 1, `${job.id}: bad input is not retried`);
  };

  it('one job per partition, root-relative payload, parts equal to the in-process run, manifest last', { timeout: 180_000 }, async () => {
    const out = join(hostA.outRoot, 'emb');
    const run = await planPartitionRun('pj-ok', task, [join(hostA.dataRoot, 'parts')], out);
    const submitted = await submitPartitionRun(run, { redis, prefix, roots: hostA });
    const payload = (await partitionQueue.getJob(submitted.partitionJobIds[1]!))!.data as { partition: number; inputs: unknown; out: unknown; task: { model: unknown } };
    assert.deepEqual([payload.partition, payload.inputs, payload.out, payload.task.model], [1, [{ root: 'data', path: 'parts' }], { root: 'out', path: 'emb' }, { root: 'data', path: 'model' }], 'no host path in the payload');
    const result = await waitForPartitionRun(submitted.runId, PARTITIONS, { redis, prefix, timeoutMs: 150_000 });
    assert.deepEqual(result, { rows: 90, parts: PARTITIONS });
    for (const job of await jobsOf(submitted.runId)) assert.equal(job.attemptsStarted, 1, `${job.id} ran once`);
    const [status] = await collectStatus(redis, prefix, submitted.runId);
    assert.equal(status?.state, 'completed');
    assert.deepEqual(status.jobs.map((j) => j.step).sort(), ['embed manifest', 'embed part 1/3', 'embed part 2/3', 'embed part 3/3']);
    assert.match(formatStatus([status]), /embed manifest +completed +90 rows in 3 parts/);

    const local = await runPartitionsLocally({ ...(await planPartitionRun('pj-local', task, [join(hostA.dataRoot, 'parts')], join(tmp, 'local'))) });
    const queued = JSON.parse(await readFile(join(out, OUTPUT_MANIFEST), 'utf8')) as PartitionedOutputManifest;
    assert.deepEqual(queued.parts, local.parts, 'same files, rows and sha256 as the in-process run');
    assert.equal(queued.runId, submitted.runId);
  });

  it('a corrupt partition: its job fails once naming the file, the run fails, no manifest, the other parts are written', { timeout: 180_000 }, async () => {
    const parts = join(hostA.dataRoot, 'parts-corrupt');
    await cp(join(hostA.dataRoot, 'parts'), parts, { recursive: true });
    const out = join(hostA.outRoot, 'corrupt');
    const run = await planPartitionRun('pj-corrupt', task, [parts], out);
    const bytes = await readFile(join(parts, 'part-00001.arrow'));
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(join(parts, 'part-00001.arrow'), bytes);
    const submitted = await submitPartitionRun(run, { redis, prefix, roots: hostA });
    await assert.rejects(waitForPartitionRun(submitted.runId, PARTITIONS, { redis, prefix, timeoutMs: 150_000 }), (e: unknown) => e instanceof PartitionRunFailedError && e.badInput && /pj-corrupt-part-1: DataFormatError: .*mount-b\/data\/parts-corrupt\/part-00001\.arrow: expected sha256/.test(e.message));
    const jobs = await jobsOf(submitted.runId);
    await failedOnce(jobs[1]!);
    await waitFor('the other partitions', async () => ((await Promise.all([jobs[0]!, jobs[2]!].map((j) => j.getState()))).every((s) => s === 'completed') ? true : undefined), 120_000);
    // The manifest job fails through a deferred failure that a worker applies (BullMQ 6): wait for it.
    await waitFor('the manifest job to fail', async () => ((await (await manifestQueue.getJob(manifestJobId(submitted.runId)))!.getState()) === 'failed' ? true : undefined), 30_000);
    assert.deepEqual((await readdir(out)).sort(), ['part-00000.arrow', 'part-00002.arrow']);
  });

  it('every partition failing leaves no output directory behind', { timeout: 120_000 }, async () => {
    const parts = join(hostA.dataRoot, 'parts-all-corrupt');
    await cp(join(hostA.dataRoot, 'parts'), parts, { recursive: true });
    const out = join(hostA.outRoot, 'all-corrupt', 'emb');
    const run = await planPartitionRun('pj-all-corrupt', task, [parts], out);
    for (let i = 0; i < PARTITIONS; i++) {
      const file = join(parts, `part-0000${i}.arrow`);
      const bytes = await readFile(file);
      bytes[bytes.length >> 1] ^= 0xff;
      await writeFile(file, bytes);
    }
    const submitted = await submitPartitionRun(run, { redis, prefix, roots: hostA });
    await assert.rejects(waitForPartitionRun(submitted.runId, PARTITIONS, { redis, prefix, timeoutMs: 60_000 }), PartitionRunFailedError);
    for (const job of await jobsOf(submitted.runId)) await waitFor(`${job.id} to fail`, async () => ((await job.getState()) === 'failed' ? true : undefined), 60_000);
    for (const job of await jobsOf(submitted.runId)) await failedOnce(job);
    await assert.rejects(readdir(join(hostA.outRoot, 'all-corrupt')), { code: 'ENOENT' }, 'the directories the jobs created are gone');
  });

  it('--wait-timeout: exit 1 naming the run once the time is up; the jobs stay queued', { timeout: 60_000 }, async () => {
    const idle = uniquePrefix(); // no worker serves this prefix
    try {
      const args = ['embed', '--data', join(hostA.dataRoot, 'parts'), '--model', task.model, '--out', join(hostA.outRoot, 'never'), '--submit', '--wait', '--wait-timeout', '0.5', '--prefix', idle, '--run-id', 'pj-timeout'];
      const child = spawn(process.execPath, [join(REPO, 'bin/meles.mjs'), ...args], { cwd: REPO, env: { ...process.env, MELES_QUIET: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((done) => child.on('close', done));
      assert.equal(code, 1, stderr);
      assert.equal(stdout.trim(), 'pj-timeout');
      assert.match(stderr, /Run pj-timeout: still running after 0\.5 s \(0 of 3 partitions done\); stopped waiting, the jobs keep running \(follow them with `meles status --run pj-timeout`\)/);
      const queue = new Queue(PARTITION_QUEUE, { connection: redis.options, prefix: idle });
      try {
        assert.equal(await (await queue.getJob(partitionJobId('pj-timeout', 0)))?.getState(), 'waiting', 'the jobs are left queued');
      } finally {
        await queue.close();
      }
    } finally {
      await obliterateAll(idle);
    }
  });

  it('a worker whose roots do not hold the partition: the job fails once naming the path', { timeout: 120_000 }, async () => {
    // Submitted with absolute paths outside the worker's roots: refused before anything is read.
    const outside = join(tmp, 'elsewhere');
    await cp(join(hostA.dataRoot, 'parts'), outside, { recursive: true });
    const run = await planPartitionRun('pj-outside', task, [outside], join(hostA.outRoot, 'outside'));
    const submitted = await submitPartitionRun(run, { redis, prefix });
    await assert.rejects(waitForPartitionRun(submitted.runId, PARTITIONS, { redis, prefix, timeoutMs: 60_000 }), (e: unknown) => e instanceof PartitionRunFailedError && /ConfigError: Refusing `inputs\[0\]` path ".*elsewhere": it resolves outside --data-root/.test(e.message));
    for (const job of await jobsOf(submitted.runId)) await waitFor(`${job.id} to fail`, async () => ((await job.getState()) === 'failed' ? true : undefined), 60_000);
    for (const job of await jobsOf(submitted.runId)) await failedOnce(job);

    // Root-relative from a host whose data root holds `only-here`; this worker's data root does not.
    const other = join(tmp, 'other-share');
    await cp(join(hostA.dataRoot, 'parts'), join(other, 'only-here'), { recursive: true });
    await cp(join(hostA.dataRoot, 'model'), join(other, 'model'), { recursive: true });
    const run2 = await planPartitionRun('pj-missing', { ...task, model: join(other, 'model') }, [join(other, 'only-here')], join(hostA.outRoot, 'missing'));
    const submitted2 = await submitPartitionRun(run2, { redis, prefix, roots: { dataRoot: other, outRoot: hostA.outRoot } });
    await assert.rejects(waitForPartitionRun(submitted2.runId, PARTITIONS, { redis, prefix, timeoutMs: 60_000 }), (e: unknown) => e instanceof PartitionRunFailedError && /DataFormatError: .*mount-b\/data\/only-here\/manifest\.json: cannot read partition manifest \(ENOENT\)/.test(e.message));
    for (const job of await jobsOf(submitted2.runId)) await waitFor(`${job.id} to fail`, async () => ((await job.getState()) === 'failed' ? true : undefined), 60_000);
    for (const job of await jobsOf(submitted2.runId)) await failedOnce(job);
    assert.deepEqual(await readdir(join(hostA.outRoot, 'missing')).catch(() => []), []);
  });
});
