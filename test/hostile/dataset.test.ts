import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { hashes, meles } from './hostile-helpers.js';

let dir: string;
let schema: string;
let earlier: string;

const frame = (clients: number[], amount: unknown[]): pl.DataFrame =>
  pl.DataFrame({ client: clients, t: clients.map((_, i) => new Date(Date.UTC(2026, 10, 1 + i))), mcc: clients.map((c) => `m${c % 3}`), amount });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meles-hostile-dataset-'));
  schema = join(dir, 'schema.json');
  await writeFile(schema, JSON.stringify({ id: 'client', time: 't', categorical: ['mcc'], numeric: ['amount'] }));
  // An earlier, good output that a failed run must leave alone.
  const good = join(dir, 'good');
  await mkdir(good);
  frame([1, 2, 1], [1.5, 2.5, 3.5]).writeIPC(join(good, 'day-1.arrow'));
  earlier = join(dir, 'features.arrow');
  const run = await meles(['features', '--data', join(good, '*.arrow'), '--schema', schema, '--out', earlier]);
  assert.equal(run.code, 0, run.stderr);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A failed `meles features` run: exit 2, `message` on stderr, the earlier output and the inputs untouched, no stray files. */
async function refused(args: readonly string[], message: RegExp, inputs: readonly string[] = []): Promise<void> {
  const before = await hashes(earlier, schema, ...inputs);
  const listing = await readdir(dir);
  const run = await meles(['features', ...args, '--schema', schema, '--out', earlier]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, message);
  assert.deepEqual(await hashes(earlier, schema, ...inputs), before, 'earlier output and inputs unchanged');
  assert.deepEqual(await readdir(dir), listing, 'nothing written');
}

describe('hostile datasets', () => {
  it('a glob matching nothing names the pattern', async () => {
    const pattern = join(dir, 'nowhere', '*.arrow');
    await refused(['--data', pattern], new RegExp(`${pattern.replace(/[.*?]/g, '\\$&')}: expected the pattern to match at least one file, found none`));
  });

  it('files with different schemas name both files, the column and both types', async () => {
    const mixed = join(dir, 'mixed');
    await mkdir(mixed);
    frame([1, 2], [1.5, 2.5]).writeIPC(join(mixed, 'day-1.arrow'));
    frame([3, 4], ['1.5', '2.5']).writeIPC(join(mixed, 'day-2.arrow'));
    const [first, second] = [join(mixed, 'day-1.arrow'), join(mixed, 'day-2.arrow')];
    await refused(['--data', join(mixed, 'day-*.arrow')], new RegExp(`day-2\\.arrow: column \`amount\`: expected Float64 as in .*day-1\\.arrow .*found Utf8`), [first, second]);
    // A column missing from a later file, in a directory dataset.
    frame([5], [1]).drop('mcc').writeIPC(join(mixed, 'day-2.arrow'));
    await refused(['--data', mixed], /day-2\.arrow: column `mcc` not found, but .*day-1\.arrow \(the dataset's first file\) has it/, [first]);
  });

  it('a Parquet file with a missing column names file and column', async () => {
    const path = join(dir, 'no-amount.parquet');
    frame([1, 2], [1, 2]).drop('amount').writeParquet(path);
    await refused(['--data', path], /no-amount\.parquet: column `amount` \(mapped as numeric\) not found; expected it among the file's columns, found: client, t, mcc/, [path]);
  });

  it('--as-of that is not a date, timestamp or number names the flag (features and embed)', async () => {
    const data = join(dir, 'good', '*.arrow');
    await refused(['--data', data, '--as-of', 'yesterday'], /Expected `--as-of` to be an ISO date \(2026-11-29.*got `yesterday`/);
    await refused(['--data', data, '--as-of', '2026-13-01'], /`--as-of`.*got `2026-13-01`/);
    // A number on a Timestamp column is refused too (a number is only for numeric time columns).
    await refused(['--data', data, '--as-of', '20261129'], /--as-of 20261129 is a number, but the time column `t` of .*day-1\.arrow is Timestamp/);
    const run = await meles(['embed', '--model', join(dir, 'no-model'), '--data', data, '--out', join(dir, 'e.arrow'), '--as-of', 'yesterday']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /`--as-of`/);
  });
});
