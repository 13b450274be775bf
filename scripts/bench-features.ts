/**
 * Benchmark of `meles features` (hand-crafted aggregates) on synthetic age_pred-like data:
 * N events over N/885 clients, interleaved in global time order (like a transaction log),
 * `small_group` Zipf-distributed over 200 values, `amount_rur` log-normal.
 * Usage: `npx tsx scripts/bench-features.ts [events=10000000] [dir=/tmp/meles-bench-features]`.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { tableFromColumns, writeArrowFile } from '../data/arrow-sink.js';
import { openRecordBatches } from '../data/arrow-source.js';
import { Rng } from '../data/random.js';
import { writeAggregateFeatures } from '../downstream/features/aggregate-features-io.js';

const events = Number(process.argv[2] ?? 10_000_000);
const dir = process.argv[3] ?? '/tmp/meles-bench-features';
const clients = Math.max(1, Math.round(events / 885));
const batchRows = 1 << 20;

function* batches(): Generator<RecordBatch> {
  const rng = new Rng(7);
  // Zipf(1.1) over 200 small_group values through a cumulative table.
  const weights = Array.from({ length: 200 }, (_, k) => 1 / (k + 1) ** 1.1);
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf = new Float64Array(200);
  weights.reduce((acc, w, k) => (cdf[k] = acc + w / total), 0);
  for (let start = 0; start < events; start += batchRows) {
    const n = Math.min(batchRows, events - start);
    const id = new Int32Array(n);
    const day = new Float64Array(n);
    const group = new Int32Array(n);
    const amount = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      id[i] = rng.int(0, clients - 1);
      day[i] = Math.floor(((start + i) / events) * 730);
      const u = rng.next();
      let k = 0;
      while (cdf[k]! < u && k < 199) k++;
      group[i] = k;
      amount[i] = Math.exp(6 + 1.5 * rng.normal());
    }
    yield* tableFromColumns({ client_id: id, trans_date: day, small_group: group, amount_rur: amount }).batches;
  }
}

await mkdir(dir, { recursive: true });
const data = join(dir, `events-${events}.arrow`);
const out = join(dir, 'features.arrow');
const exists = await stat(data).then(() => true, () => false);
if (!exists) {
  const t = performance.now();
  await writeArrowFile(data, batches());
  console.log(`generated ${events} events, ${clients} clients in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
const mapping = { id: 'client_id', time: 'trans_date', categorical: ['small_group'], numeric: ['amount_rur'] };
const t0 = performance.now();
const summary = await writeAggregateFeatures(data, mapping, out);
const seconds = (performance.now() - t0) / 1000;
let rows = 0;
for await (const b of openRecordBatches(out)) rows += b.numRows;
const size = (await stat(out)).size;
console.log(
  `features: ${summary.events} events → ${summary.clients} clients × ${summary.features} features in ${seconds.toFixed(2)} s ` +
    `(${(summary.events / seconds / 1e6).toFixed(2)} M events/s, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB, ` +
    `output ${(size / 2 ** 20).toFixed(0)} MB, ${rows} rows read back)`,
);
if (process.argv.includes('--clean')) await rm(dir, { recursive: true, force: true });
