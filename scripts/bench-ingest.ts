/**
 * Ingest benchmark (issue 2, "Performance"): writes a 10M-event, 100k-client transactions file
 * once (cached under .tmp/bench-ingest/), reads it into per-client sequences and prints events/s,
 * peak RSS and the file size; then times the same read + group + sort with nodejs-polars and
 * prints the ratio. Each phase runs in its own child process so peak RSS is per phase.
 *
 *   node --import tsx scripts/bench-ingest.ts [--clients 100000] [--events 100] [--repeat 3]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '100000' },
    events: { type: 'string', default: '100' },
    repeat: { type: 'string', default: '3' },
    phase: { type: 'string' },
    dir: { type: 'string' },
  },
});
const clients = Number(values.clients);
const events = Number(values.events);
const dir = values.dir ?? `.tmp/bench-ingest/c${clients}-e${events}`;
const file = `${dir}/transactions.arrow`;

interface PhaseResult {
  readonly seconds: number[];
  /** CPU seconds (user + system) per repeat: on a shared machine wall time includes waiting for a core. */
  readonly cpuSeconds: number[];
  readonly rows: number;
  readonly clients: number;
  readonly maxRssMB: number;
}

async function runPhase(phase: string): Promise<PhaseResult> {
  const seconds: number[] = [];
  const cpuSeconds: number[] = [];
  let rows = 0;
  let groups = 0;
  for (let r = 0; r < Number(values.repeat); r++) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    if (phase === 'meles') {
      const { readSequences } = await import('../data/read-sequences.js');
      const { SYNTHETIC_SCHEMA } = await import('../data/synthetic/generate-transactions.js');
      const result = await readSequences(file, SYNTHETIC_SCHEMA);
      rows = result.rows;
      groups = result.sequences.offsets.length - 1;
    } else {
      const pl = (await import('nodejs-polars')).default;
      // nodejs-polars 0.25.2 rejects every file *path* with "out-of-spec: InvalidFooter" (even
      // files it wrote itself) but reads the same bytes from a Buffer, so the read is timed that way.
      const df = pl.readIPC(readFileSync(file)).sort({ by: ['client_id', 'trans_date'], maintainOrder: true });
      rows = df.height;
      groups = df.getColumn('client_id').nUnique();
    }
    seconds.push((performance.now() - started) / 1000);
    const used = process.cpuUsage(cpu);
    cpuSeconds.push((used.user + used.system) / 1e6);
  }
  return { seconds, cpuSeconds, rows, clients: groups, maxRssMB: process.resourceUsage().maxRSS / 1024 };
}

function child(phase: string): PhaseResult {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--phase', phase, '--dir', dir, '--repeat', String(values.repeat)];
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (run.status !== 0) throw new Error(`phase ${phase} failed with status ${run.status}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as PhaseResult;
}

if (values.phase === 'generate') {
  const { generateTransactions } = await import('../data/synthetic/generate-transactions.js');
  const started = performance.now();
  await generateTransactions({ out: dir, clients, seed: 1, minEvents: events, maxEvents: events });
  process.stdout.write(`${JSON.stringify({ seconds: [(performance.now() - started) / 1000], cpuSeconds: [], rows: clients * events, clients, maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
} else if (values.phase !== undefined) {
  process.stdout.write(`${JSON.stringify(await runPhase(values.phase))}\n`);
} else {
  if (!existsSync(file)) {
    const g = child('generate');
    console.log(`generated ${file}: ${g.rows} events in ${g.seconds[0]!.toFixed(2)} s (peak RSS ${g.maxRssMB.toFixed(0)} MB)`);
  }
  const sizeMB = statSync(file).size / 2 ** 20;
  console.log(`file ${file}: ${sizeMB.toFixed(1)} MB`);
  const meles = child('meles');
  const best = Math.min(...meles.seconds);
  console.log(
    `meles readSequences: ${meles.rows} events, ${meles.clients} clients; times ${meles.seconds.map((s) => s.toFixed(2)).join(', ')} s ` +
      `(CPU ${meles.cpuSeconds.map((s) => s.toFixed(2)).join(', ')} s); ` +
      `best ${(meles.rows / best / 1e6).toFixed(2)}M events/s; peak RSS ${meles.maxRssMB.toFixed(0)} MB = ${(meles.maxRssMB / sizeMB).toFixed(2)}x file size`,
  );
  const polars = child('polars');
  const polarsBest = Math.min(...polars.seconds);
  console.log(
    `nodejs-polars readIPC+sort: ${polars.rows} rows, ${polars.clients} clients; times ${polars.seconds.map((s) => s.toFixed(2)).join(', ')} s ` +
      `(CPU ${polars.cpuSeconds.map((s) => s.toFixed(2)).join(', ')} s, multi-threaded); ` +
      `best ${(polars.rows / polarsBest / 1e6).toFixed(2)}M rows/s; peak RSS ${polars.maxRssMB.toFixed(0)} MB`,
  );
  console.log(`ratio meles/polars time: ${(best / polarsBest).toFixed(2)} (>1 means meles is slower)`);
}
