import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { DataFormatError } from '../../errors.js';
import { openRecordBatches } from '../../data/arrow-source.js';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { generateTransactions } from '../../data/synthetic/generate-transactions.js';
import { damagedCopy, hashes, meles, within } from './hostile-helpers.js';

let dir: string;
let good: string;
let schema: string;

/** Reads every batch (as `meles inspect` does) and returns the row count. */
async function rowsOf(path: string): Promise<number> {
  let rows = 0;
  for await (const batch of openRecordBatches(path)) rows += batch.numRows;
  return rows;
}

/** The direct reader call must fail fast with a DataFormatError matching `message`. */
async function rejectsFast(path: string, message: RegExp): Promise<void> {
  await assert.rejects(within(2000, rowsOf(path)), (e: unknown) => e instanceof DataFormatError && message.test(e.message));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meles-hostile-arrow-'));
  const summary = await generateTransactions({ out: join(dir, 'gen'), clients: 40, minEvents: 20, maxEvents: 60, seed: 1, batchRows: 500 });
  good = summary.transactionsPath;
  schema = join(dir, 'gen', 'schema.json');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('corrupt Arrow IPC file format', () => {
  it('a first message length of 0xFFFFFFFF fails within seconds (was: hang at 100% CPU), direct and via `meles inspect` (exit 2)', async () => {
    const bad = await damagedCopy(good, join(dir, 'ff.arrow'), 12, [0xff, 0xff, 0xff, 0xff]);
    await rejectsFast(bad, /ff\.arrow: corrupt Arrow file at byte 12: expected a message metadata length between 1 and \d+ .*found -1/);
    const before = await hashes(bad, schema);
    const run = await meles(['inspect', bad, '--schema', schema], 60_000);
    assert.equal(run.timedOut, false, `meles inspect hung (killed after ${run.seconds.toFixed(1)} s)`);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /ff\.arrow: corrupt Arrow file at byte 12/);
    assert.deepEqual(await hashes(bad, schema), before, 'inputs unchanged');
  });

  it('a message length of 0 at a record batch block is corruption, not "0 rows"', async () => {
    const bad = await damagedCopy(good, join(dir, 'zero.arrow'), 12, [0, 0, 0, 0]);
    await rejectsFast(bad, /zero\.arrow: corrupt Arrow file at byte 8: expected the message of record batch block 0, found an end-of-stream marker/);
    const before = await hashes(bad);
    const run = await meles(['inspect', bad, '--schema', schema]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /zero\.arrow: corrupt Arrow file at byte 8/);
    assert.doesNotMatch(run.stderr, /0 rows/);
    assert.deepEqual(await hashes(bad), before);
  });

  it('a damaged footer is reported as a corrupt file, not as a missing column', async () => {
    const bytes = await readFile(good);
    const footerStart = bytes.length - 10 - bytes.readInt32LE(bytes.length - 10);
    const bad = await damagedCopy(good, join(dir, 'footer.arrow'), footerStart + 40, Array(24).fill(0xff));
    await rejectsFast(bad, /footer\.arrow: corrupt Arrow file at byte \d+: expected .* in the footer, found/);
    const run = await meles(['inspect', bad, '--schema', schema]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /footer\.arrow: corrupt Arrow file at byte \d+: .*footer/);
    assert.doesNotMatch(run.stderr, /missing|column/);
  });

  it('a footer length larger than the file is corruption at the footer length', async () => {
    const size = (await readFile(good)).length;
    const bad = await damagedCopy(good, join(dir, 'footer-length.arrow'), -10, [0xff, 0xff, 0xff, 0x7f]);
    await rejectsFast(bad, new RegExp(`footer-length\\.arrow: corrupt Arrow file at byte ${size - 10}: expected a footer length between 1 and \\d+, found 2147483647`));
  });

  it('keeps reading intact files of every writer (no false alarms)', async () => {
    assert.ok((await rowsOf(good)) >= 40 * 20);
    const df = pl.DataFrame({ id: [1, 2, 1, 3], t: [1.5, 2, 3, 4], s: ['a', 'bb', 'a', 'c'] });
    for (const compression of ['lz4', 'zstd', 'uncompressed'] as const) {
      const path = join(dir, `polars-${compression}.arrow`);
      df.writeIPC(path, { compression });
      assert.equal(await rowsOf(path), 4, compression);
    }
    const stream = join(dir, 'polars.arrows');
    await writeFile(stream, df.writeIPCStream());
    assert.equal(await rowsOf(stream), 4);
  });
});

describe('corrupt Arrow IPC stream format', () => {
  let stream: string;
  before(async () => {
    stream = join(dir, 'good.arrows');
    await writeArrowTable(stream, tableFromColumns({ id: Int32Array.from([1, 2, 3, 4]), t: Float64Array.from([4, 3, 2, 1]) }), 'stream');
  });

  it('a record batch metadata length of -1 fails fast and names its byte, also via `meles inspect`', async () => {
    const bytes = await readFile(stream);
    const second = 8 + bytes.readInt32LE(4); // the schema message has no body
    const bad = await damagedCopy(stream, join(dir, 'ff.arrows'), second + 4, [0xff, 0xff, 0xff, 0xff]);
    await rejectsFast(bad, new RegExp(`ff\\.arrows: corrupt Arrow file at byte ${second + 4}: expected a message metadata length between 1 and \\d+ .*found -1`));
    const before = await hashes(bad);
    const run = await meles(['inspect', bad, '--id', 'id', '--time', 't']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`ff\\.arrows: corrupt Arrow file at byte ${second + 4}`));
    assert.deepEqual(await hashes(bad), before);
  });

  it('an end-of-stream marker in the middle (a zeroed length) with data after it is corruption', async () => {
    const bytes = await readFile(stream);
    const schemaLength = bytes.readInt32LE(4);
    const second = 8 + schemaLength; // the schema message has no body
    const bad = await damagedCopy(stream, join(dir, 'zero.arrows'), second + 4, [0, 0, 0, 0]);
    await rejectsFast(bad, new RegExp(`zero\\.arrows: corrupt Arrow file at byte ${second + 8}: expected the end of the file after the end-of-stream marker at byte ${second}, found \\d+ more bytes`));
  });

  it('a stream that starts with an end-of-stream marker has no schema: corruption', async () => {
    const bad = join(dir, 'eos.arrows');
    await writeFile(bad, Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
    await assert.rejects(within(2000, rowsOf(bad)), DataFormatError);
  });
});

describe('corrupt compressed bodies', () => {
  const df = (): pl.DataFrame => {
    const n = 5000;
    return pl.DataFrame({ id: Array.from({ length: n }, (_, i) => i % 97), t: Array.from({ length: n }, (_, i) => i * 1.5) });
  };

  it('an LZ4 body with a flipped byte fails its block checksum (was: accepted silently)', async () => {
    const path = join(dir, 'lz4.arrow');
    df().writeIPC(path, { compression: 'lz4' });
    const frame = (await readFile(path)).indexOf(Buffer.from([0x04, 0x22, 0x4d, 0x18]));
    assert.ok(frame > 0, 'expected an LZ4 frame in the file');
    const original = (await readFile(path))[frame + 40]!;
    const bad = await damagedCopy(path, join(dir, 'lz4-bad.arrow'), frame + 40, [original ^ 0x5a]);
    await rejectsFast(bad, /lz4-bad\.arrow: .*LZ4: block checksum mismatch at byte \d+ \(expected 0x[0-9a-f]{8}, found 0x[0-9a-f]{8}\)/);
    const before = await hashes(bad);
    const run = await meles(['inspect', bad, '--id', 'id', '--time', 't']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /lz4-bad\.arrow: .*checksum mismatch/);
    assert.deepEqual(await hashes(bad), before);
  });

  it('a damaged ZSTD body, or one whose decoded length differs from the declared length, names the file', async () => {
    const path = join(dir, 'zstd.arrow');
    df().writeIPC(path, { compression: 'zstd' });
    const bytes = await readFile(path);
    const frame = bytes.indexOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
    assert.ok(frame > 8, 'expected a ZSTD frame in the file');
    const body = await damagedCopy(path, join(dir, 'zstd-bad.arrow'), frame + 12, [bytes[frame + 12]! ^ 0x5a]);
    await rejectsFast(body, /zstd-bad\.arrow: .*ZSTD body of \d+ bytes/);
    // The int64 uncompressed length before the frame, off by one: fzstd decodes fine, the length check fails.
    const declared = Number(bytes.readBigInt64LE(frame - 8));
    const length = Buffer.alloc(8);
    length.writeBigInt64LE(BigInt(declared + 1));
    const bad = await damagedCopy(path, join(dir, 'zstd-length.arrow'), frame - 8, [...length]);
    await rejectsFast(bad, new RegExp(`zstd-length\\.arrow: .*ZSTD body of \\d+ bytes: expected ${declared + 1} decompressed bytes as the IPC buffer declares, found ${declared}`));
  });
});
