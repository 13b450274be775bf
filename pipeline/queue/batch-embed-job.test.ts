import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import pl from 'nodejs-polars';
import { parseAsOf } from '../../data/as-of.js';
import { Rng } from '../../data/random.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import { initBackend } from '../../encoders/backend.js';
import { embedFile } from '../../training/embed-file.js';
import { trainFromFile } from '../../training/train-from-file.js';
import { publishModel } from '../model-registry.js';
import { BATCH_EMBEDDINGS_FILE, datedName, RUN_SUMMARY_FILE, runBatchEmbed, type BatchEmbedRecord } from './batch-embed-job.js';
import { runSummarySchema, type RunSummary } from './run-summary.js';

const SCHEMA: SchemaMapping = { id: 'client_id', time: 'event_time', categorical: ['mcc'], numeric: ['amount'], targets: [], transforms: { amount: 'log' } };
const DAY = 86_400_000;
const START = Date.UTC(2026, 10, 1); // 2026-11-01 is day 1

let root: string;
let daily: string;
let modelDir: string;
const frames: pl.DataFrame[] = [];

/** Day `d` (0-based): about a fifth of 200 clients, 1–3 events each, hours unsorted. */
function day(d: number, rng: Rng): pl.DataFrame {
  const client_id: number[] = [];
  const event_time: Date[] = [];
  const mcc: string[] = [];
  const amount: number[] = [];
  for (let c = 0; c < 200; c++) {
    if (rng.next() > 0.2) continue;
    const events = 1 + Math.floor(rng.next() * 3);
    for (let e = 0; e < events; e++) {
      client_id.push(c);
      event_time.push(new Date(START + d * DAY + Math.floor(rng.next() * 24) * 3_600_000));
      mcc.push(`m${Math.floor(rng.next() * 12)}`);
      amount.push(Math.round(rng.next() * 10_000) / 100);
    }
  }
  return pl
    .DataFrame({ client_id, event_time, mcc, amount })
    .withColumns(pl.col('client_id').cast(pl.Int32), pl.col('event_time').cast(pl.Datetime('ms')));
}

const embed = async (data: string, out: string, asOf?: string): Promise<Table> => {
  await embedFile({ model: modelDir, data, out, backend: 'wasm', ...(asOf === undefined ? {} : { asOf: parseAsOf(asOf) }) });
  return tableFromIPC(await readFile(out));
};

/** The id column and every embedding column, byte for byte. */
function sameEmbeddings(a: Table, b: Table): void {
  assert.deepEqual(a.schema.fields.map((f) => f.name), b.schema.fields.map((f) => f.name));
  assert.equal(a.numRows, b.numRows);
  for (const field of a.schema.fields) {
    const [x, y] = [a.getChild(field.name)!.toArray() as ArrayLike<number>, b.getChild(field.name)!.toArray() as ArrayLike<number>];
    assert.deepEqual(Buffer.from(new Uint8Array((x as Float32Array).buffer, (x as Float32Array).byteOffset, (x as Float32Array).byteLength)), Buffer.from(new Uint8Array((y as Float32Array).buffer, (y as Float32Array).byteOffset, (y as Float32Array).byteLength)), field.name);
  }
}

/** Every client of `b` is in `a` (and the other way), with embeddings within `tolerance`. */
function closeById(a: Table, b: Table, tolerance: number): void {
  assert.equal(a.numRows, b.numRows);
  const rows = (t: Table): Map<string, number[]> => {
    const ids = t.getChild('client_id')!.toArray() as Int32Array;
    const columns = t.schema.fields.filter((f) => f.name.startsWith('emb_')).map((f) => t.getChild(f.name)!.toArray() as Float32Array);
    return new Map(Array.from(ids, (id, r) => [String(id), columns.map((c) => c[r]!)]));
  };
  const [x, y] = [rows(a), rows(b)];
  let worst = 0;
  for (const [id, values] of y) {
    const other = x.get(id);
    assert.ok(other, `client ${id} missing`);
    values.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - other[j]!))));
  }
  assert.ok(worst <= tolerance, `largest difference ${worst}`);
}

describe('a 30-day dataset: one history per client, as-of cut-offs, scheduled runs', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-30days-'));
    daily = join(root, 'data', 'daily');
    await mkdir(daily, { recursive: true });
    const rng = new Rng(30);
    for (let d = 0; d < 30; d++) {
      frames.push(day(d, rng));
      frames[d]!.writeIPC(join(daily, `day-${String(d + 1).padStart(2, '0')}.arrow`), { compression: 'lz4' });
    }
    pl.concat(frames).writeIPC(join(root, 'data', 'all.arrow'));
    pl.concat(frames.slice(0, 10)).writeIPC(join(root, 'data', 'first10.arrow'));
    modelDir = join(root, 'out', 'run', 'train', 'model'); // where a pipeline run keeps it, for publishModel
    await trainFromFile({
      data: join(daily, '*.arrow'),
      schema: SCHEMA,
      outDir: modelDir,
      backend: 'wasm',
      config: [{ epochs: 1, batchSize: 32, encoder: { hidden: 8 }, validationShare: 0, splitter: { kind: 'slices', splitCount: 2, cntMin: 2, cntMax: 8 } }],
    });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('embedding the 30-file glob equals embedding the 30 files concatenated into one file', async () => {
    const byGlob = await embed(join(daily, '*.arrow'), join(root, 'glob.arrow'));
    const byFile = await embed(join(root, 'data', 'all.arrow'), join(root, 'all.emb.arrow'));
    assert.ok(byGlob.numRows > 190, `${byGlob.numRows} clients`);
    sameEmbeddings(byGlob, byFile);
    assert.equal(byGlob.schema.metadata.get('meles.as_of'), undefined);
  });

  it('--as-of the 10th day equals the embedding of files 1–10, and is recorded in the metadata', async () => {
    const cut = await embed(join(daily, '*.arrow'), join(root, 'cut.arrow'), '2026-11-10');
    const first10 = await embed(join(root, 'data', 'first10.arrow'), join(root, 'first10.emb.arrow'));
    sameEmbeddings(cut, first10);
    assert.equal(cut.schema.metadata.get('meles.as_of'), '2026-11-10');
    const whole = tableFromIPC(await readFile(join(root, 'glob.arrow')));
    assert.ok(cut.numRows <= whole.numRows);
  });

  it('a scheduled run embeds the whole dataset once, as of its due time; re-running that date gives the same bytes', async () => {
    const registry = join(root, 'out', 'registry');
    await publishModel({ registry, run: join(root, 'out', 'run') });
    const roots = { dataRoot: join(root, 'data'), outRoot: join(root, 'out') };
    const job = { version: 1 as const, kind: 'batch-embed' as const, schedule: 'nightly', data: join(daily, '*.arrow'), out: join(root, 'out', 'batch'), registry, model: 'latest' as const };
    // Due at 02:00 on day 11: days 1–10 and the first two hours of day 11.
    const due = new Date(START + 10 * DAY + 2 * 3_600_000);
    const record: BatchEmbedRecord = await runBatchEmbed(job, roots, due);
    assert.equal(record.files.length, 30);
    assert.equal(record.asOf, '2026-11-11T02:00:00.000Z');
    assert.deepEqual((await readdir(record.dir)).sort(), [BATCH_EMBEDDINGS_FILE, 'run.json', 'state.arrow', 'summary.json']);
    assert.equal(record.path, 'full');
    const scheduled = tableFromIPC(await readFile(join(record.dir, BATCH_EMBEDDINGS_FILE)));
    assert.equal(scheduled.schema.metadata.get('meles.as_of'), '2026-11-11T02:00:00.000Z');
    const expected = await embed(join(daily, '*.arrow'), join(root, 'due.arrow'), '2026-11-11T02:00:00Z');
    // A recurrent model's run embeds through its state (every event, continued later): equal within float32 rounding.
    closeById(scheduled, expected, 1e-5);
    const early = frames[10]!.filter(pl.col('event_time').ltEq(due)).height;
    assert.ok(early > 0, 'some events of day 11 fall before the due time');
    const first10 = tableFromIPC(await readFile(join(root, 'first10.emb.arrow')));
    assert.ok(scheduled.numRows >= first10.numRows);

    // A re-run of the same date (a retry, or later with more days on disk) writes the same embeddings.
    await rm(record.dir, { recursive: true });
    const again = await runBatchEmbed(job, roots, due);
    sameEmbeddings(tableFromIPC(await readFile(join(again.dir, BATCH_EMBEDDINGS_FILE))), scheduled);
  });

  it('nightly runs continue the previous state over the new days only, equal to a full run; a new model or --full embeds everything', { timeout: 300_000 }, async () => {
    const registry = join(root, 'out', 'registry-inc');
    await publishModel({ registry, run: join(root, 'out', 'run') });
    const growing = join(root, 'data', 'growing');
    await mkdir(growing, { recursive: true });
    const addDays = (from: number, to: number): void => {
      for (let d = from; d < to; d++) frames[d]!.writeIPC(join(growing, `day-${String(d + 1).padStart(2, '0')}.arrow`), { compression: 'lz4' });
    };
    const roots = { dataRoot: join(root, 'data'), outRoot: join(root, 'out') };
    const job = { version: 1 as const, kind: 'batch-embed' as const, schedule: 'inc', data: join(growing, '*.arrow'), out: join(root, 'out', 'inc'), registry };
    const dueOn = (day: number): Date => new Date(START + (day - 1) * DAY + 2 * 3_600_000); // 02:00 on day `day` (1-based)
    const full = (due: Date, name: string): Promise<Table> => embed(join(growing, '*.arrow'), join(root, name), due.toISOString());
    const summaryOf = async (dir: string): Promise<RunSummary> => runSummarySchema.parse(JSON.parse(await readFile(join(dir, RUN_SUMMARY_FILE), 'utf8')));

    addDays(0, 11); // days 1–11 on disk; the run at 02:00 on day 11 sees the first two hours of day 11
    const first = await runBatchEmbed(job, roots, dueOn(11));
    assert.equal(first.path, 'full');
    assert.match(first.reason, /no earlier run/);
    const firstTable = tableFromIPC(await readFile(join(first.dir, BATCH_EMBEDDINGS_FILE)));
    assert.equal(firstTable.schema.metadata.get('meles.model_version'), 'v1');
    assert.equal(firstTable.schema.metadata.get('meles.model_sha256'), first.modelFingerprint);
    closeById(firstTable, await full(dueOn(11), 'full-11.arrow'), 1e-5);
    const firstSummary = await summaryOf(first.dir);
    assert.equal(firstSummary.previous, null);
    assert.equal(firstSummary.events, pl.concat(frames.slice(0, 11)).filter(pl.col('event_time').ltEq(dueOn(11))).height);
    assert.equal(firstSummary.newEvents, firstSummary.events);

    addDays(11, 12);
    const second = await runBatchEmbed(job, roots, dueOn(12));
    assert.equal(second.path, 'incremental', second.reason);
    assert.equal(second.previousRun, datedName(dueOn(11)));
    // Only day 11 (events after 02:00) and day 12 hold events after the previous as-of.
    assert.match(second.reason, /2 of 12 files/);
    const window = pl.concat(frames.slice(10, 12)).filter(pl.col('event_time').gt(dueOn(11)).and(pl.col('event_time').ltEq(dueOn(12)))).height;
    assert.equal(second.newEvents, window);
    assert.equal(second.events, firstSummary.events + window);
    closeById(tableFromIPC(await readFile(join(second.dir, BATCH_EMBEDDINGS_FILE))), await full(dueOn(12), 'full-12.arrow'), 1e-5);
    const secondSummary = await summaryOf(second.dir);
    assert.equal(secondSummary.path, 'incremental');
    assert.equal(secondSummary.embedding.mean.length, 8);
    assert.equal(secondSummary.embedding.std.length, 8);
    assert.ok(secondSummary.embedding.std.every((s) => s > 0));
    assert.equal(secondSummary.previous?.run, datedName(dueOn(11)));
    assert.equal(secondSummary.previous?.clients, firstTable.numRows);
    assert.ok(secondSummary.previous!.meanCosine! > 0.5 && secondSummary.previous!.meanCosine! <= 1 + 1e-9, `${secondSummary.previous!.meanCosine}`);
    assert.equal(second.meanCosine, secondSummary.previous!.meanCosine);

    addDays(12, 14); // two days at once
    const third = await runBatchEmbed(job, roots, dueOn(14));
    assert.equal(third.path, 'incremental', third.reason);
    closeById(tableFromIPC(await readFile(join(third.dir, BATCH_EMBEDDINGS_FILE))), await full(dueOn(14), 'full-14.arrow'), 1e-5);

    // Another model published: the state cannot be continued, a new one is started.
    const otherRun = join(root, 'out', 'run-v2');
    await trainFromFile({
      data: join(daily, '*.arrow'), schema: SCHEMA, outDir: join(otherRun, 'train', 'model'), backend: 'wasm',
      config: [{ epochs: 1, batchSize: 32, seed: 7, encoder: { hidden: 8 }, validationShare: 0, splitter: { kind: 'slices', splitCount: 2, cntMin: 2, cntMax: 8 } }],
    });
    assert.equal((await publishModel({ registry, run: otherRun })).version, 'v2');
    addDays(14, 15);
    const fourth = await runBatchEmbed(job, roots, dueOn(15));
    assert.equal(fourth.path, 'full');
    assert.match(fourth.reason, /model changed .* v1 .* → v2/);
    assert.equal(fourth.modelVersion, 'v2');
    assert.equal(tableFromIPC(await readFile(join(fourth.dir, BATCH_EMBEDDINGS_FILE))).schema.metadata.get('meles.model_version'), 'v2');

    // --full: a full run although the previous state fits.
    addDays(15, 16);
    const fifth = await runBatchEmbed({ ...job, incremental: false }, roots, dueOn(16));
    assert.equal(fifth.path, 'full');
    assert.match(fifth.reason, /--full/);
    // ... and the run after it continues again.
    addDays(16, 17);
    assert.equal((await runBatchEmbed(job, roots, dueOn(17))).path, 'incremental');
  });
});
