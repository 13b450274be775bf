import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { CompressionType, RecordBatchFileWriter, Table, tableFromIPC } from 'apache-arrow';
import { DataFormatError, ShapeError } from '../errors.js';
import { detectArrowFormat, openRecordBatches } from './arrow-source.js';
import { tableFromColumns, writeArrowFile, writeArrowTable } from './arrow-sink.js';
import { decodeLz4Frames } from './lz4-frame.js';
import { readSequences } from './read-sequences.js';
import * as lz4 from 'lz4js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meles-arrow-io-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rowsOf(path: string): Promise<number> {
  let rows = 0;
  for await (const batch of openRecordBatches(path)) rows += batch.numRows;
  return rows;
}

const sample = (): Table =>
  tableFromColumns({
    id: Int32Array.from([1, 2, 1, 3, 2]),
    t: Float64Array.from([5, 4, 3, 2, 1]),
    s: ['a', 'bb', 'a', 'ccc', 'bb'],
    big: BigInt64Array.from([1n, -2n, 3n, 4n, 2n ** 60n]),
  });

describe('arrow sink and source round trip', () => {
  for (const format of ['file', 'stream'] as const) {
    it(`writes and reads back the ${format} format identically`, async () => {
      const path = join(dir, `round.${format}`);
      await writeArrowTable(path, sample(), format);
      assert.equal(await detectArrowFormat(path), format);
      const batches = [];
      for await (const b of openRecordBatches(path)) batches.push(b);
      const back = new Table(batches);
      assert.deepEqual(back.toArray().map((r) => r.toJSON()), sample().toArray().map((r) => r.toJSON()));
    });
  }

  it('reads a file of many batches batch by batch', async () => {
    const path = join(dir, 'many.arrow');
    const batches = Array.from({ length: 7 }, (_, k) => tableFromColumns({ x: Int32Array.from({ length: 10 }, (_, i) => k * 10 + i) }).batches[0]!);
    await writeArrowFile(path, batches);
    let seen = 0;
    let sum = 0;
    for await (const b of openRecordBatches(path)) {
      seen++;
      for (const v of b.getChild('x')!.toArray() as Int32Array) sum += v;
    }
    assert.equal(seen, 7);
    assert.equal(sum, (69 * 70) / 2);
  });

  it('keeps one schema when only nullability differs between batches (no silent truncation)', async () => {
    const path = join(dir, 'nullability.arrow');
    const withNull = new Table({ x: tableFromIPC(await toIpc([1, null])).getChild('x')! }).batches[0]!;
    const without = tableFromColumns({ x: Float64Array.from([3, 4]) }).batches[0]!;
    await writeArrowFile(path, [without, withNull, without]);
    assert.equal(await rowsOf(path), 6);
  });

  it('refuses batches with different columns and leaves no file behind', async () => {
    const path = join(dir, 'mixed.arrow');
    const a = tableFromColumns({ x: Int32Array.from([1]) }).batches[0]!;
    const b = tableFromColumns({ y: Int32Array.from([1]) }).batches[0]!;
    await assert.rejects(writeArrowFile(path, [a, b]), (e: unknown) => e instanceof ShapeError && /expected \(x: Int32\)/.test(e.message));
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('mixed')), []);
  });
});

async function toIpc(values: (number | null)[]): Promise<Uint8Array> {
  const df = pl.DataFrame({ x: values });
  return new Uint8Array(df.writeIPCStream());
}

describe('bad Arrow input', () => {
  it('names the file for a missing file', async () => {
    await assert.rejects(rowsOf(join(dir, 'nope.arrow')), (e: unknown) => e instanceof DataFormatError && /nope\.arrow: .*found no such file/.test(e.message));
  });
  it('rejects an empty (0-byte) file', async () => {
    const path = join(dir, 'empty.arrow');
    await writeFile(path, '');
    await assert.rejects(rowsOf(path), { name: 'DataFormatError', message: /empty\.arrow: expected an Arrow IPC file or stream, found an empty file/ });
  });
  it('rejects a CSV file as not Arrow', async () => {
    const path = join(dir, 'text.arrow');
    await writeFile(path, 'client_id,trans_date\n1,2\n');
    await assert.rejects(rowsOf(path), { name: 'DataFormatError', message: /text\.arrow: expected an Arrow IPC file or stream, found bytes .*client_i/ });
  });
  it('rejects truncated file and stream formats', async () => {
    for (const format of ['file', 'stream'] as const) {
      const full = join(dir, `full.${format}`);
      await writeArrowTable(full, sample(), format);
      const bytes = await readFile(full);
      const cut = join(dir, `cut.${format}`);
      await writeFile(cut, bytes.subarray(0, bytes.length - 40));
      await assert.rejects(rowsOf(cut), { name: 'DataFormatError', message: new RegExp(`cut\\.${format}: (Arrow file is truncated or corrupt|corrupt Arrow file at byte \\d+)`) });
    }
  });
});

describe('files from other Arrow writers', () => {
  const mapping = { id: 'client', time: 'time', categorical: ['mcc'], numeric: ['amount'] };
  const data = {
    client: ['c1', 'c2', 'c1', 'a-rather-long-client-identifier', 'c2', 'c1'],
    time: [3, 2, 1, 5, 1, 2],
    mcc: ['5411', 'a-long-merchant-category-name', '5411', '6011', '5411', null],
    amount: [10.5, -3, 7, 1e6, null, 2],
  };

  it('reads Polars LZ4, ZSTD and uncompressed files (Utf8View strings) and an apache-arrow file identically', async () => {
    const df = pl.DataFrame(data);
    const results = [];
    for (const compression of ['lz4', 'zstd', 'uncompressed'] as const) {
      const path = join(dir, `polars-${compression}.arrow`);
      df.writeIPC(path, { compression });
      results.push(await readSequences(path, mapping));
    }
    const jsPath = join(dir, 'apache-arrow.arrow');
    const writer = new RecordBatchFileWriter();
    const table = tableFromIPC(new Uint8Array(df.writeIPCStream()));
    assert.ok(String(table.schema.fields[0]!.type).includes('Utf8'));
    await writeFile(jsPath, await writer.writeAll(table).toUint8Array());
    results.push(await readSequences(jsPath, mapping));
    const streamPath = join(dir, 'polars.arrows');
    await writeFile(streamPath, df.writeIPCStream());
    results.push(await readSequences(streamPath, mapping));
    for (const r of results.slice(1)) {
      assert.deepEqual(r.sequences, results[0]!.sequences);
      assert.deepEqual(r.vocabularies.mcc!.tokens, results[0]!.vocabularies.mcc!.tokens);
    }
    const s = results[0]!.sequences;
    assert.deepEqual(s.ids, { kind: 'utf8', values: ['c1', 'c2', 'a-rather-long-client-identifier'] });
    assert.deepEqual([...s.offsets], [0, 3, 5, 6]);
    assert.deepEqual([...s.times], [1, 2, 3, 1, 2, 5]);
    // c1 at times 1, 2, 3 is 5411, null, 5411; 5411 is the most frequent token (index 2), null is 1.
    assert.deepEqual([...s.categorical.mcc!.subarray(0, 3)], [2, 1, 2]);
    assert.deepEqual([...s.numeric.amount!], [7, 2, 10.5, 0, -3, 1e6]);
    assert.equal(results[0]!.replaced.nonFiniteNumeric.amount, 1);
  });

  it('codes thousands of short (inline) and long Utf8View strings like a Map would', async () => {
    const ids = Array.from({ length: 6000 }, (_, i) => (i % 3 === 0 ? `client-with-a-long-name-${i % 2500}` : `c${(i * 7) % 2500}`));
    const path = join(dir, 'polars-many-strings.arrow');
    pl.DataFrame({ id: ids, t: ids.map((_, i) => i) }).writeIPC(path, { compression: 'lz4' });
    const { sequences } = await readSequences(path, { id: 'id', time: 't', categorical: [], numeric: [] });
    const firstSeen = [...new Set(ids)];
    assert.deepEqual(sequences.ids.values, firstSeen);
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    assert.deepEqual([...sequences.offsets.subarray(1)].map((end, c) => end - sequences.offsets[c]!), firstSeen.map((id) => counts.get(id)));
  });

  it('really decodes Polars LZ4 bodies (the file is compressed)', async () => {
    const path = join(dir, 'polars-lz4.arrow');
    const bytes = await readFile(path);
    assert.ok(bytes.includes(Buffer.from([0x04, 0x22, 0x4d, 0x18])), 'expected LZ4 frame magic in the file');
  });
});

describe('LZ4 frames', () => {
  it('decodes lz4js frames and frames with block checksums', () => {
    const input = new Uint8Array(200_000).map((_, i) => (i * 7) % 13);
    assert.deepEqual(decodeLz4Frames(lz4.compress(input)), input);
    // Hand-made frame: FLG with block checksum (0x50), BD 0x40, header checksum 0xc0, one raw block
    // "hello" plus its checksum xxh32("hello") = 0xfb0077f9 (little-endian).
    const raw = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x50, 0x40, 0xc0, 5, 0, 0, 0x80, ...Buffer.from('hello'), 0xf9, 0x77, 0x00, 0xfb, 0, 0, 0, 0]);
    assert.equal(Buffer.from(decodeLz4Frames(raw)).toString(), 'hello');
    assert.equal(CompressionType.LZ4_FRAME, 0);
  });
});
