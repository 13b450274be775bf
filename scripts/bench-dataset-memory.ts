/**
 * Peak memory of reading a dataset file by file: the streaming paths (the scanner's batch loop,
 * the aggregate-feature stream) over the largest single file versus over a 10-file dataset of
 * such files (the same clients on every "day"). Each measurement runs in a fresh child process
 * and reports its peak RSS (`process.resourceUsage().maxRSS`), so one does not inherit the
 * other's heap. If files were held together, the 10-file peak would grow with the sum.
 * Usage: `npx tsx scripts/bench-dataset-memory.ts [clients=20000] [dir=/tmp/meles-bench-dataset]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventScanner } from '../data/event-scanner.js';
import { SYNTHETIC_SCHEMA, generateTransactions } from '../data/synthetic/generate-transactions.js';
import { streamAggregateFeatures } from '../downstream/features/aggregate-stream.js';

const FILES = 10;

if (process.argv[2] === '--child') {
  const [, , , mode, dataset] = process.argv;
  const started = performance.now();
  let events = 0;
  if (mode === 'scan') {
    const scanner = new EventScanner(dataset!, SYNTHETIC_SCHEMA);
    for await (const batch of scanner.scan()) events += batch.numRows;
  } else {
    events = (await streamAggregateFeatures(dataset!, SYNTHETIC_SCHEMA)).events;
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ events, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
} else {
  const clients = Number(process.argv[2] ?? 20_000);
  const dir = process.argv[3] ?? '/tmp/meles-bench-dataset';
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'days'), { recursive: true });
  let largest = { path: '', bytes: 0 };
  for (let d = 0; d < FILES; d++) {
    const made = await generateTransactions({ out: join(dir, `gen-${d}`), clients, minEvents: 10, maxEvents: 40, seed: 100 + d });
    const path = join(dir, 'days', `day-${String(d + 1).padStart(2, '0')}.arrow`);
    await rename(made.transactionsPath, path);
    await rm(join(dir, `gen-${d}`), { recursive: true, force: true });
    const bytes = (await stat(path)).size;
    if (bytes > largest.bytes) largest = { path, bytes };
  }
  const self = fileURLToPath(import.meta.url);
  const measure = (mode: string, dataset: string): { events: number; seconds: number; peakRssMb: number } => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', mode, dataset], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(run.stderr);
    return JSON.parse(run.stdout) as { events: number; seconds: number; peakRssMb: number };
  };
  console.log(`largest file: ${largest.path} (${(largest.bytes / 1e6).toFixed(1)} MB); dataset: ${FILES} files`);
  for (const mode of ['scan', 'features']) {
    const one = measure(mode, largest.path);
    const all = measure(mode, join(dir, 'days', '*.arrow'));
    console.log(
      `${mode.padEnd(8)} 1 file: ${one.events} events, peak RSS ${one.peakRssMb.toFixed(0)} MB, ${one.seconds.toFixed(1)} s | ` +
        `${FILES} files: ${all.events} events, peak RSS ${all.peakRssMb.toFixed(0)} MB, ${all.seconds.toFixed(1)} s`,
    );
  }
}
