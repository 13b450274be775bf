/**
 * Throughput of per-partition embedding on the queue: the same partitioned dataset embedded by one
 * `meles worker` (concurrency 1) and by two, each a separate process, as on two hosts. Each
 * setting first runs a warm-up submission (so every worker's sandboxed child has loaded tfjs),
 * then the timed one, from submission to the output manifest. Prints clients/s and the speed-up.
 * Needs Redis ($REDIS_URL or 127.0.0.1:6379); uses its own BullMQ prefix and removes it after.
 * Usage: `npx tsx scripts/bench-partition-embed.ts [--clients 20000] [--events 100] [--partitions 8] [--hidden 128] [--dir /tmp/meles-bench-partition-embed]`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { partitionDataset } from '../data/partition.js';
import { SYNTHETIC_SCHEMA, generateTransactions } from '../data/synthetic/generate-transactions.js';
import { Vocabulary } from '../data/vocabulary.js';
import { initBackend } from '../encoders/backend.js';
import { buildEncoderConfig, resolveEncoderOptions } from '../encoders/encoder-config.js';
import { SequenceModel } from '../encoders/sequence-model.js';
import { submitPartitionRun, waitForPartitionRun } from '../pipeline/queue/partition-jobs.js';
import { planPartitionRun } from '../pipeline/queue/partition-task.js';
import { PARTITION_MANIFEST_QUEUE, PARTITION_QUEUE } from '../pipeline/queue/queues.js';
import { parseRedisUrl, redisUrlFrom } from '../pipeline/queue/redis-url.js';
import { saveModelDirectory } from '../training/model-files.js';

const REPO = fileURLToPath(new URL('../', import.meta.url));

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

const clients = Number(flag('clients', '20000'));
const events = Number(flag('events', '100'));
const partitions = Number(flag('partitions', '8'));
const hidden = Number(flag('hidden', '128'));
const dir = flag('dir', '/tmp/meles-bench-partition-embed');
const redis = parseRedisUrl(redisUrlFrom(undefined));
const prefix = `bench-${randomUUID()}`;

/** Starts `meles worker` and resolves once it reports ready. */
async function startWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(REPO, 'bin/meles.mjs'), 'worker', '--data-root', join(dir, 'data'), '--out-root', join(dir, 'out'), '--prefix', prefix], {
    cwd: REPO,
    env: { ...process.env, MELES_QUIET: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let err = '';
  await new Promise<void>((ready, fail) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      if (err.includes('meles worker: ready')) ready();
    });
    child.once('exit', (code) => fail(new Error(`worker exited (${code}):\n${err}`)));
  });
  return child;
}

async function stop(workers: readonly ChildProcess[]): Promise<void> {
  await Promise.all(workers.map((w) => new Promise<void>((done) => {
    w.once('exit', () => done());
    w.kill('SIGTERM');
  })));
}

/** One submission from submit to manifest, in seconds. */
async function timedRun(name: string): Promise<number> {
  const task = { kind: 'embed' as const, model: join(dir, 'data', 'model'), maxEvents: 2000, batchSize: 256, maxBatchEvents: 65536, l2: false };
  const run = await planPartitionRun(name, task, [join(dir, 'data', 'parts')], join(dir, 'out', name));
  const started = performance.now();
  const submitted = await submitPartitionRun(run, { redis, prefix });
  await waitForPartitionRun(submitted.runId, partitions, { redis, prefix });
  return (performance.now() - started) / 1000;
}

await rm(dir, { recursive: true, force: true });
await mkdir(join(dir, 'out'), { recursive: true });
const data = (await generateTransactions({ out: join(dir, 'gen'), clients, minEvents: events, maxEvents: events, seed: 1 })).transactionsPath;
await partitionDataset({ data, mapping: SYNTHETIC_SCHEMA, out: join(dir, 'data', 'parts'), partitions });
await initBackend('wasm', { quiet: true });
const vocab = Vocabulary.fromJSON({ tokens: Array.from({ length: 100 }, (_, i) => String(i)), counts: Array.from({ length: 100 }, (_, i) => 100 - i) }, 'bench');
const model = new SequenceModel(buildEncoderConfig(resolveEncoderOptions({ hidden }), { categorical: SYNTHETIC_SCHEMA.categorical.map((name) => ({ name, vocabularySize: vocab.size })), numeric: SYNTHETIC_SCHEMA.numeric }), 1);
await saveModelDirectory(join(dir, 'data', 'model'), { model, vocabularies: Object.fromEntries(SYNTHETIC_SCHEMA.categorical.map((c) => [c, vocab])), schema: SYNTHETIC_SCHEMA, training: {}, backend: 'wasm' });
model.dispose();

const seconds: Record<number, number> = {};
try {
  for (const count of [1, 2]) {
    const workers: ChildProcess[] = [];
    for (let i = 0; i < count; i++) workers.push(await startWorker());
    try {
      await timedRun(`warm-${count}`);
      seconds[count] = await timedRun(`timed-${count}`);
    } finally {
      await stop(workers);
    }
    console.log(`${count} worker(s): ${clients} clients × ${events} events in ${partitions} partitions, ${seconds[count]!.toFixed(1)} s, ${(clients / seconds[count]!).toFixed(0)} clients/s (load average ${loadavg()[0]!.toFixed(1)})`);
  }
  console.log(`speed-up with 2 workers: ${(seconds[1]! / seconds[2]!).toFixed(2)}×`);
} finally {
  for (const name of [PARTITION_QUEUE, PARTITION_MANIFEST_QUEUE]) {
    const queue = new Queue(name, { connection: redis.options, prefix });
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  }
}
