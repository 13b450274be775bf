/**
 * Pipeline benchmark (`node --import tsx scripts/bench-pipeline.ts [--clients N] [--shards S] [--repeats R] [--embed-repeats E] [--redis URL]`):
 *  1. queue overhead per stage: a pipeline whose stages are all up to date is submitted several
 *     times; for the first stage we take submit → start (job created → processing started), for
 *     every later stage child finished → parent started (the flow hand-off). Medians, in ms.
 *  2. embedding one file in sharded jobs with one `meles worker` process versus two (one child
 *     process each), same model and shards; wall time from the first shard start to the embed
 *     merge end, and the speed-up. Before each measurement every worker's sandboxed child embeds
 *     a small file (checked through the jobs' `processedBy`), so the measurement is the
 *     throughput of warm workers, as in a long-running deployment, not process start-up
 *     (tsx, tfjs, wasm compilation and JIT: about 1.5 s of CPU per child). 1 and 2 workers
 *     alternate `--embed-repeats` times, so load from other processes hits both alike.
 * `node --import tsx scripts/bench-pipeline.ts --clients 22000 --shards 8 --embed-repeats 3`
 * Uses its own BullMQ prefix on the Redis at --redis / REDIS_URL / 127.0.0.1:6379 and removes it.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { Queue, type Job } from 'bullmq';
import { generateTransactions } from '../data/synthetic/generate-transactions.js';
import { runPipelineLocally } from '../pipeline/local-runner.js';
import { readPipelineFile, type PipelineConfig } from '../pipeline/pipeline-config.js';
import { CONTROL_QUEUE, SCHEDULE_QUEUE, STAGE_QUEUE } from '../pipeline/queue/queues.js';
import { parseRedisUrl, redisUrlFrom, type RedisTarget } from '../pipeline/queue/redis-url.js';
import { collectStatus } from '../pipeline/queue/status.js';
import { submitPipeline } from '../pipeline/queue/submit.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '22000' },
    // Four shards per worker at the most workers measured: a slow shard then delays the end by
    // an eighth of the work, not a quarter; the data file is read once per worker child anyway.
    shards: { type: 'string', default: '8' },
    repeats: { type: 'string', default: '5' },
    'embed-repeats': { type: 'string', default: '3' },
    redis: { type: 'string' },
  },
});
const clients = Number(values.clients);
const shards = Number(values.shards);
const repeats = Number(values.repeats);
const embedRepeats = Number(values['embed-repeats']);
const redis = parseRedisUrl(redisUrlFrom(values.redis));
const prefix = `bench-${randomUUID()}`;
const repo = new URL('../', import.meta.url).pathname;
const root = await mkdtemp(join(tmpdir(), 'meles-bench-pipeline-'));
const stageQueue = new Queue(STAGE_QUEUE, { connection: redis.options, prefix });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface WorkerHandle { stop(): Promise<void> }

async function startWorker(): Promise<WorkerHandle> {
  const child = spawn(process.execPath, [join(repo, 'bin/meles.mjs'), 'worker', '--data-root', root, '--out-root', root, '--prefix', prefix,
    '--concurrency', '1', '--lock-duration', '30000', '--stalled-interval', '30000'], { env: { ...process.env, MELES_QUIET: '1', REDIS_URL: redisUrlFrom(values.redis) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise((done) => child.once('exit', done));
  while (!err.includes('meles worker: ready')) {
    if (child.exitCode !== null) throw new Error(`worker failed:\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { stop: async () => { child.kill('SIGTERM'); await exited; } };
}

/**
 * Waits until the run's last stage (features, the root of the flow) has completed. One cheap state
 * query per poll on one connection: a full status scan per poll would itself load the cores the
 * two-worker measurement needs (with one worker it would run on the idle core for free).
 */
async function waitForRun(runId: string): Promise<void> {
  const deadline = Date.now() + 20 * 60_000;
  const root = `${runId}-features`;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`run ${runId} did not finish within 20 minutes`);
    const state = await stageQueue.getJobState(root);
    if (state === 'completed') return;
    if (state === 'failed' || state === 'unknown') {
      const [run] = await collectStatus(redis, prefix, runId);
      if (run?.state === 'failed' || state === 'unknown') throw new Error(`run ${runId} failed (${state}): ${JSON.stringify(run?.jobs)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function jobsOf(runId: string): Promise<Map<string, Job>> {
  const out = new Map<string, Job>();
  for (const name of [STAGE_QUEUE, CONTROL_QUEUE]) {
    const queue = new Queue(name, { connection: redis.options, prefix });
    for (const job of await queue.getJobs(['completed'], 0, -1)) if (job?.id?.startsWith(runId)) out.set(job.id.slice(runId.length + 1), job);
    await queue.close();
  }
  return out;
}

async function pipelineFile(name: string, out: string, data: string, shardCount = shards): Promise<PipelineConfig> {
  const path = join(root, `${name}.json`);
  await writeFile(path, JSON.stringify({
    name, data, schema: join(root, 'gen', 'schema.json'), out,
    train: { epochs: 1, batchSize: 64, maxBatchesPerEpoch: 2, encoder: { hidden: 64 }, validationShare: 0 },
    embed: { shards: shardCount },
  }));
  return readPipelineFile(path);
}

function countBy(keys: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const key of keys) out.set(key, (out.get(key) ?? 0) + 1);
  return out;
}

/**
 * Runs a small embedding pipeline until every one of the `count` workers' children has embedded
 * at least one shard (seen in the shard jobs' `processedBy`), so tfjs, wasm and the embedding
 * code paths are loaded and compiled in each; many small shards make that near-certain at once.
 */
async function warmUp(tag: string, count: number, data: string): Promise<void> {
  const warmShards = 4 * count;
  for (let attempt = 0; attempt < 5; attempt++) {
    const config = await pipelineFile(`warm-${tag}-${attempt}`, join(root, `out-warm-${tag}-${attempt}`), data, warmShards);
    const { runId } = await submitPipeline(config, { redis, prefix, runId: `warm-${tag}-${attempt}` });
    await waitForRun(runId);
    const jobs = await jobsOf(runId);
    const names = new Set(Array.from({ length: warmShards }, (_, s) => jobs.get(`embed-shard-${s}`)?.processedBy));
    if (names.size >= count && !names.has(undefined)) return;
  }
  throw new Error(`warm-up: not every one of ${count} workers embedded a shard in 5 attempts`);
}

async function cleanup(target: RedisTarget): Promise<void> {
  // Two passes over the flow queues: removing a child can move a parent in the other queue back to wait.
  for (const name of [STAGE_QUEUE, CONTROL_QUEUE, SCHEDULE_QUEUE, STAGE_QUEUE, CONTROL_QUEUE]) {
    const queue = new Queue(name, { connection: target.options, prefix });
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  }
}

try {
  const gen = await generateTransactions({ out: join(root, 'gen'), clients, seed: 7 });
  process.stderr.write(`data: ${gen.clients} clients, ${gen.events} events; ${shards} shards\n`);
  const base = await pipelineFile('base', join(root, 'out-base'), gen.transactionsPath);
  const t0 = performance.now();
  await runPipelineLocally(base);
  process.stderr.write(`in-process run (ingest, train, ${shards} embed shards, features): ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

  // 1. Queue overhead: every stage of `base` is up to date, so jobs measure the queue alone.
  const one = await startWorker();
  const submitToStart: number[] = [];
  const handoff: number[] = [];
  try {
    for (let r = 0; r < repeats; r++) {
      const { runId } = await submitPipeline(base, { redis, prefix, runId: `overhead-${r}` });
      await waitForRun(runId);
      const jobs = await jobsOf(runId);
      const ingest = jobs.get('ingest')!;
      submitToStart.push(ingest.processedOn! - ingest.timestamp);
      const chain = ['ingest', 'features', 'train', 'embed'];
      for (let i = 1; i < chain.length; i++) {
        handoff.push(jobs.get(chain[i]!)!.processedOn! - jobs.get(chain[i - 1]!)!.finishedOn!);
      }
      // Only the first shard: with one worker slot the others queue behind it by design.
      const shard = jobs.get('embed-shard-0')!;
      submitToStart.push(shard.processedOn! - shard.timestamp);
    }
  } finally {
    await one.stop();
  }

  // 2. Embedding with one worker process vs two: same model (copied ingest + train), fresh embed.
  process.stderr.write(`queue overhead measured over ${repeats} submissions\n`);
  // Enough clients that warm-up shards hold full batches of 256 (4 shards per worker): smaller
  // warm-up batches left the first measured shard ~0.3 s slower (wasm heap growth, new shapes).
  const warmData = await generateTransactions({ out: join(root, 'gen-warm'), clients: 2048, seed: 8 });
  const wall: Record<number, number[]> = { 1: [], 2: [] };
  for (let r = 0; r < embedRepeats; r++) {
    for (const count of [1, 2]) {
      const tag = `${count}w-${r}`;
      const out = join(root, `out-${tag}`);
      await cp(join(root, 'out-base', 'ingest'), join(out, 'ingest'), { recursive: true });
      await cp(join(root, 'out-base', 'train'), join(out, 'train'), { recursive: true });
      const config = await pipelineFile(`embed-${tag}`, out, gen.transactionsPath);
      const workers = await Promise.all(Array.from({ length: count }, () => startWorker()));
      try {
        await warmUp(tag, count, warmData.transactionsPath);
        const { runId } = await submitPipeline(config, { redis, prefix, runId: `embed-${tag}` });
        await waitForRun(runId);
        const jobs = await jobsOf(runId);
        const shardJobs = Array.from({ length: shards }, (_, s) => jobs.get(`embed-shard-${s}`)!);
        const t0 = Math.min(...shardJobs.map((job) => job.processedOn!));
        const seconds = (jobs.get('embed')!.finishedOn! - t0) / 1000;
        wall[count]!.push(seconds);
        const spans = shardJobs.map((job, s) => {
          const summary = (job.returnvalue as { summary?: string } | null)?.summary ?? '';
          return `${s}: ${((job.processedOn! - t0) / 1000).toFixed(1)}–${((job.finishedOn! - t0) / 1000).toFixed(1)} [${summary}]`;
        });
        const perWorker = [...countBy(shardJobs.map((job) => job.processedBy ?? '?')).values()].join('+');
        process.stderr.write(`run ${r + 1}, ${count} worker(s): ${seconds.toFixed(1)} s; shards per worker ${perWorker}; shard spans (s):\n  ${spans.join("\n  ")}\n`);
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
      }
    }
  }
  const lines = [
    `queue overhead, submit → start (ingest and the first embed shard): median ${median(submitToStart).toFixed(1)} ms over ${submitToStart.length} jobs (target < 50 ms)`,
    `queue overhead, stage hand-off (child finished → parent started): median ${median(handoff).toFixed(1)} ms over ${handoff.length} hand-offs (target < 50 ms)`,
    ...wall[1]!.map((one, r) => {
      const two = wall[2]![r]!;
      return `embedding ${gen.clients} clients in ${shards} shards, run ${r + 1}: 1 worker ${one.toFixed(1)} s, 2 workers ${two.toFixed(1)} s, speed-up ${(one / two).toFixed(2)}×`;
    }),
    `embedding speed-up, median over ${embedRepeats} runs: ${(median(wall[1]!) / median(wall[2]!)).toFixed(2)}× (medians ${median(wall[1]!).toFixed(1)} s / ${median(wall[2]!).toFixed(1)} s; target ≥ 1.7×)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await stageQueue.close();
  await cleanup(redis);
  await rm(root, { recursive: true, force: true });
}
