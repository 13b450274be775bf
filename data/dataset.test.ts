import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { ConfigError, DataFormatError } from '../errors.js';
import { parseAsOf } from './as-of.js';
import { resolveDataset } from './dataset.js';
import { expandGlob } from './glob.js';
import { Rng } from './random.js';
import { readSequences, type ReadSequencesResult } from './read-sequences.js';
import type { SchemaMapping } from './schema-mapping.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meles-dataset-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mapping: SchemaMapping = { id: 'client', time: 't', categorical: ['mcc'], numeric: ['amount'], targets: [], transforms: {} };
const DAY = 86_400_000;
const START = Date.UTC(2026, 10, 1);

/** `days` days of events; every client appears on several days, times unsorted inside a day. */
function days(count: number, seed = 7): pl.DataFrame[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, d) => {
    const rows = 40 + Math.floor(rng.next() * 20);
    const client: number[] = [];
    const t: Date[] = [];
    const mcc: string[] = [];
    const amount: number[] = [];
    for (let i = 0; i < rows; i++) {
      client.push(1000 + Math.floor(rng.next() * 25));
      // Whole seconds, some equal, so ties across files test stability.
      t.push(new Date(START + d * DAY + Math.floor(rng.next() * 4) * 3_600_000));
      mcc.push(`m${Math.floor(rng.next() * 6)}`);
      amount.push(Math.round(rng.next() * 1000) / 10);
    }
    return pl.DataFrame({ client, t, mcc, amount }).withColumns(pl.col('client').cast(pl.Int64), pl.col('t').cast(pl.Datetime('ms')));
  });
}

function same(a: ReadSequencesResult, b: ReadSequencesResult): void {
  assert.deepEqual(a.sequences.ids, b.sequences.ids);
  assert.deepEqual(a.sequences.offsets, b.sequences.offsets);
  assert.deepEqual(a.sequences.times, b.sequences.times);
  assert.deepEqual(a.sequences.categorical, b.sequences.categorical);
  assert.deepEqual(a.sequences.numeric, b.sequences.numeric);
  assert.deepEqual(a.vocabularies.mcc!.tokens, b.vocabularies.mcc!.tokens);
  assert.equal(a.rows, b.rows);
}

describe('datasets: many files, one history per client', () => {
  it('a glob of Arrow and Parquet day files reads like their concatenation; --as-of a day equals the files up to it', async () => {
    const frames = days(6);
    const daily = join(dir, 'daily');
    await mkdir(daily);
    frames.forEach((df, d) => {
      const name = join(daily, `day-${String(d + 1).padStart(2, '0')}`);
      // Mixed formats: odd days as Parquet (Polars' default zstd), even days as Arrow IPC.
      if (d % 2 === 0) df.writeParquet(`${name}.parquet`);
      else df.writeIPC(`${name}.arrow`, { compression: 'lz4' });
    });
    await writeFile(join(daily, 'notes.txt'), 'not data');
    const whole = join(dir, 'all.arrow');
    pl.concat(frames).writeIPC(whole);

    const byGlob = await readSequences(join(daily, 'day-*'), mapping);
    same(byGlob, await readSequences(whole, mapping));
    same(await readSequences(daily, mapping), byGlob); // a directory: its .arrow/.parquet files

    const firstThree = join(dir, 'first3.arrow');
    pl.concat(frames.slice(0, 3)).writeIPC(firstThree);
    const cut = await readSequences(daily, mapping, { asOf: parseAsOf('2026-11-03') });
    same(cut, await readSequences(firstThree, mapping));
    assert.ok(cut.rows < byGlob.rows);
    // A timestamp cut-off: the first hour of day 4 is in, the rest of day 4 is not.
    const hour = await readSequences(daily, mapping, { asOf: parseAsOf('2026-11-04T00:59:59Z') });
    const day4 = frames[3]!.filter(pl.col('t').lt(new Date(START + 3 * DAY + 3_600_000))).height;
    assert.equal(hour.rows, cut.rows + day4);
  });

  it('files are sorted by name; ** reaches sub-directories; hidden files are left out', async () => {
    const root = join(dir, 'nested');
    await mkdir(join(root, 'b'), { recursive: true });
    await mkdir(join(root, 'a'), { recursive: true });
    for (const p of ['b/x.arrow', 'a/y.arrow', 'top.arrow', '.tmp-z.arrow']) await writeFile(join(root, p), '');
    assert.deepEqual(await expandGlob(join(root, '**', '*.arrow')), ['a/y.arrow', 'b/x.arrow', 'top.arrow'].map((p) => join(root, p)));
    assert.deepEqual((await resolveDataset(root)).files.map((f) => f.path), ['a/y.arrow', 'b/x.arrow', 'top.arrow'].map((p) => join(root, p)));
    assert.deepEqual(await expandGlob(join(root, '?', 'x.*')), [join(root, 'b', 'x.arrow')]);
  });

  it('Parquet gets the Arrow checks: nulls in numerics become 0, null ids and missing columns are errors naming file and column', async () => {
    const path = join(dir, 'nulls.parquet');
    pl.DataFrame({ client: [1, 1, 2], t: [1, 2, 3], mcc: ['a', null, 'b'], amount: [1.5, null, 2] }).writeParquet(path);
    const numericTime = { ...mapping };
    const read = await readSequences(path, numericTime);
    assert.equal(read.replaced.nonFiniteNumeric.amount, 1);
    assert.equal(read.replaced.nullCategorical.mcc, 1);
    assert.deepEqual(Array.from(read.sequences.numeric.amount!), [1.5, 0, 2]);

    const nullId = join(dir, 'null-id.parquet');
    pl.DataFrame({ client: [1, null], t: [1, 2], mcc: ['a', 'b'], amount: [1, 2] }).writeParquet(nullId);
    await assert.rejects(readSequences(nullId, mapping), (e: Error) => e instanceof DataFormatError && e.message.includes(nullId) && /`client` \(id\): expected no nulls/.test(e.message));

    const missing = join(dir, 'missing.parquet');
    pl.DataFrame({ client: [1], t: [1], amount: [1] }).writeParquet(missing);
    await assert.rejects(readSequences(missing, mapping), (e: Error) => e instanceof DataFormatError && e.message.includes(missing) && /`mcc` \(mapped as categorical\) not found/.test(e.message));
  });

  it('a date cut-off on a numeric time column, or a number on a Timestamp column, is a ConfigError naming --as-of', async () => {
    const path = join(dir, 'numeric-time.parquet');
    pl.DataFrame({ client: [1], t: [5], mcc: ['a'], amount: [1] }).writeParquet(path);
    await assert.rejects(readSequences(path, mapping, { asOf: parseAsOf('2026-11-29') }), (e: Error) => e instanceof ConfigError && /--as-of 2026-11-29 is a date/.test(e.message));
    const numbers = await readSequences(path, mapping, { asOf: parseAsOf('5') });
    assert.equal(numbers.rows, 1);
    assert.throws(() => parseAsOf('2026-02-30'), ConfigError);
    assert.throws(() => parseAsOf('yesterday'), /`--as-of`/);
    assert.equal(parseAsOf('2026-11-29T18:00').text, '2026-11-29T18:00:00.000Z');
  });
});
