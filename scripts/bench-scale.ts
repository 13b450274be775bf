/**
 * The scale-out benchmark of issue 15: N synthetic events written by `meles generate` in parts →
 * `meles partition` → `meles train` for one epoch on a seeded sample of partitions → `meles embed`
 * (one BullMQ job per partition, served by 1 and then by 2 `meles worker` processes) → `meles
 * features`. Every stage is a separate `meles` process; the script prints each one's wall time
 * and peak RSS, the embedding throughput with 1 and 2 workers, and the load average before and
 * after. Peak RSS is the largest resident high-water mark of any process in the stage's process
 * tree: `/usr/bin/time`'s maximum (the process and its reaped children) and `VmHWM` of every
 * descendant polled from `/proc` every 200 ms (a worker's sandboxed job children).
 *
 * Usage (run it niced; the machine is shared):
 *   nice -n 5 npx tsx scripts/bench-scale.ts [--events 100000000] [--parts 10] [--partitions 32]
 *     [--train-partitions 2] [--train-batches 30] [--hidden 64] [--embed-max-events 2000]
 *     [--dir bench-out/scale] [--keep]
 * Redis at $REDIS_URL or 127.0.0.1:6379 is needed for the worker runs (a private BullMQ prefix is used).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const MELES = join(ROOT, 'bin', 'meles.mjs');
const TIME = '/usr/bin/time';

const flag = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1]! : fallback;
};
const events = Number(flag('--events', '100000000'));
const parts = flag('--parts', '10');
const partitions = flag('--partitions', '32');
const trainPartitions = flag('--train-partitions', '2');
const trainBatches = flag('--train-batches', '30');
const hidden = flag('--hidden', '64');
// Embed each client from its last n events (meles embed --max-events); every event is still read.
const embedMaxEvents = flag('--embed-max-events', '2000');
const dir = resolve(flag('--dir', join(ROOT, 'bench-out', 'scale')));
const keep = process.argv.includes('--keep');
const prefix = `bench-scale-${process.pid}`;

interface Measured {
  readonly stage: string;
  readonly seconds: number;
  /** Largest resident high-water mark of any process of the stage (MB). */
  readonly peakRssMb: number;
  readonly note: string;
}

/** Process ids of `pid` and its descendants (from /proc/PID/task/TID/children). */
async function processTree(pid: number): Promise<number[]> {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const tasks = await readdir(`/proc/${out[i]}/task`).catch(() => [] as string[]);
    for (const tid of tasks) {
      const children = await readFile(`/proc/${out[i]}/task/${tid}/children`, 'utf8').catch(() => '');
      for (const c of children.split(' ').filter((s) => s.trim() !== '')) out.push(Number(c));
    }
  }
  return out;
}

/** Polls VmHWM of every process in `pid`'s tree until stopped; returns the largest seen (kB). */
function pollPeak(pid: number): { stop: () => Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const p of await processTree(pid)) {
        const status = await readFile(`/proc/${p}/status`, 'utf8').catch(() => '');
        const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
        peak = Math.max(peak, kb);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return peak;
    },
  };
}

/** A `meles` process under /usr/bin/time, with its tree's peak polled. */
interface Running {
  readonly child: ChildProcess;
  readonly started: number;
  /** `cpuSeconds`: user + system time of the process and its reaped children (from /usr/bin/time). */
  readonly done: Promise<{ code: number | null; stderr: string; seconds: number; peakKb: number; cpuSeconds: number }>;
}

function startMeles(args: readonly string[], timeFile: string, onStderr?: (text: string) => void): Running {
  const started = performance.now();
  const child = spawn(TIME, ['-f', '%M %U %S', '-o', timeFile, process.execPath, MELES, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    onStderr?.(d.toString());
  });
  child.stdout!.on('data', (d: Buffer) => (stderr += d.toString()));
  const poll = pollPeak(child.pid!);
  const done = new Promise<{ code: number | null; stderr: string; seconds: number; peakKb: number; cpuSeconds: number }>((resolveDone) => {
    child.on('exit', (code) => {
      const seconds = (performance.now() - started) / 1000;
      void poll.stop().then(async (polled) => {
        const [maxKb = 0, user = 0, system = 0] = (await readFile(timeFile, 'utf8').catch(() => '0 0 0')).trim().split('\n').at(-1)!.split(' ').map(Number);
        resolveDone({ code, stderr, seconds, peakKb: Math.max(polled, Number.isFinite(maxKb) ? maxKb : 0), cpuSeconds: user + system });
      });
    });
  });
  return { child, started, done };
}

async function stage(name: string, args: readonly string[], note = ''): Promise<Measured> {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${name}: meles ${args.join(' ')}\n`);
  const run = startMeles(args, join(dir, `.time-${name}`));
  const result = await run.done;
  if (result.code !== 0) throw new Error(`${name} exited with ${result.code}:\n${result.stderr.slice(-4000)}`);
  const measured = { stage: name, seconds: result.seconds, peakRssMb: result.peakKb / 1024, note: `${note || lastLine(result.stderr)}; CPU ${result.cpuSeconds.toFixed(1)} s` };
  report(measured);
  return measured;
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter((l) => !/\r|\u001b/.test(l)).at(-1) ?? '';
}

function report(m: Measured): void {
  console.log(`| ${m.stage} | ${m.seconds.toFixed(1)} | ${m.peakRssMb.toFixed(0)} | ${m.note.replaceAll('|', '/')} |`);
}

/** Starts `count` workers, submits the embedding run, waits for its manifest, stops the workers (SIGTERM, by pid). */
async function embedWithWorkers(count: number, model: string, data: string, out: string, totalEvents: number, totalClients: number): Promise<{ measured: Measured[]; seconds: number }> {
  const queuePrefix = `${prefix}-${count}`;
  const workers: Running[] = [];
  const ready: Promise<void>[] = [];
  for (let w = 0; w < count; w++) {
    let markReady: () => void = () => {};
    ready.push(new Promise<void>((r) => (markReady = r)));
    workers.push(startMeles(['worker', '--prefix', queuePrefix, '--concurrency', '1', '--data-root', dir, '--out-root', dir], join(dir, `.time-worker-${count}-${w}`), (text) => {
      if (text.includes('meles worker: ready')) markReady();
    }));
  }
  let submit: Measured;
  try {
    await Promise.all(ready);
    submit = await stage(`embed (${count} worker${count > 1 ? 's' : ''}, submit --wait)`, [
      'embed', '--model', model, '--data', data, '--out', out, '--max-events', embedMaxEvents, '--submit', '--wait', '--prefix', queuePrefix, '--data-root', dir, '--out-root', dir, '--quiet',
    ]);
  } finally {
    // Signal each worker itself, not /usr/bin/time above it (time would die and leave the worker running).
    for (const w of workers) for (const pid of (await processTree(w.child.pid!)).slice(1, 2)) process.kill(pid, 'SIGTERM');
  }
  const measured: Measured[] = [submit];
  for (const [w, worker] of workers.entries()) {
    const result = await worker.done;
    const m = { stage: `  worker ${w + 1}/${count} (its job children included)`, seconds: result.seconds, peakRssMb: result.peakKb / 1024, note: `alive ${result.seconds.toFixed(0)} s incl. start-up; CPU ${result.cpuSeconds.toFixed(1)} s (worker + job children)` };
    report(m);
    measured.push(m);
  }
  console.log(
    `|   → ${count} worker(s): ${(totalClients / submit.seconds).toFixed(0)} clients/s, ${(totalEvents / submit.seconds / 1e3).toFixed(0)}k events read/s (${totalClients} clients, ${totalEvents} events, --max-events ${embedMaxEvents}) | | | |`,
  );
  return { measured, seconds: submit.seconds };
}

/** Deletes the BullMQ keys this run created (its private prefixes). */
async function removeQueueKeys(): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}-*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(', ');

await rm(dir, { recursive: true, force: true });
await mkdir(dir, { recursive: true });
const clients = Math.max(1, Math.round(events / 200)); // lengths 100..300, mean 200
console.log(`# bench-scale: ${events} events (${clients} clients), generate --parts ${parts}, ${partitions} partitions, train 1 epoch on ${trainPartitions} partitions (≤ ${trainBatches} batches, GRU hidden ${hidden}), embed (--max-events ${embedMaxEvents}) with 1 and 2 workers, features`);
console.log(`# load average at start: ${load()}; ${new Date().toISOString()}`);
console.log('| stage | wall s | peak RSS MB | note |');
console.log('|---|---|---|---|');
const gen = join(dir, 'gen');
const all: Measured[] = [];
all.push(await stage('generate', ['generate', '--out', gen, '--clients', String(clients), '--parts', parts, '--seed', '42']));
const schema = join(dir, 'schema.json');
await copyFile(join(gen, 'schema.json'), schema);
const partsDir = join(dir, 'parts');
all.push(await stage('partition', ['partition', '--data', join(gen, 'transactions'), '--schema', schema, '--out', partsDir, '--partitions', partitions]));
const manifest = JSON.parse(await readFile(join(partsDir, 'manifest.json'), 'utf8')) as { rows: number; clients: number; files: { bytes: number }[] };
const partitionMb = manifest.files.reduce((s, f) => s + f.bytes, 0) / 1024 ** 2;
console.log(`|   → ${manifest.rows} events, ${manifest.clients} clients, ${partitionMb.toFixed(0)} MB of partitions | | | |`);
if (!keep) await rm(gen, { recursive: true, force: true });
const model = join(dir, 'model');
all.push(
  await stage('train (1 epoch, sampled partitions)', [
    'train', '--data', partsDir, '--schema', schema, '--out', model, '--epochs', '1', '--partitions-per-epoch', trainPartitions, '--max-batches', trainBatches, '--hidden', hidden, '--quiet',
  ]),
);
const one = await embedWithWorkers(1, model, partsDir, join(dir, 'emb-1'), manifest.rows, manifest.clients);
all.push(...one.measured);
await rm(join(dir, 'emb-1'), { recursive: true, force: true });
const two = await embedWithWorkers(2, model, partsDir, join(dir, 'emb-2'), manifest.rows, manifest.clients);
all.push(...two.measured);
console.log(`|   → speed-up 2 workers vs 1: ${(one.seconds / two.seconds).toFixed(2)}× | | | |`);
all.push(await stage('features', ['features', '--data', partsDir, '--schema', schema, '--out', join(dir, 'features')]));
const embBytes = (await stat(join(dir, 'emb-2', 'manifest.json')).then(() => true, () => false)) ? 'embeddings written' : 'no embeddings manifest!';
console.log(`# largest peak RSS: ${Math.max(...all.map((m) => m.peakRssMb)).toFixed(0)} MB (target ≤ 2560 MB); ${embBytes}`);
console.log(`# load average at end: ${load()}; ${new Date().toISOString()}`);
await removeQueueKeys();
if (!keep) await rm(dir, { recursive: true, force: true });
