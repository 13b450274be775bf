/**
 * Arrow string columns with bytes that are not UTF-8: decoding would turn them into U+FFFD and could
 * merge distinct raw ids into one client, so the reader refuses them naming the file, column and row.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Table, Utf8, makeData, makeVector, tableToIPC } from 'apache-arrow';
import { readSequences } from '../../data/read-sequences.js';
import { DataFormatError } from '../../errors.js';

/** Utf8 data from raw byte strings (no encoding step, so invalid bytes survive). */
function rawUtf8(values: readonly Uint8Array[]) {
  const offsets = new Int32Array(values.length + 1);
  values.forEach((v, i) => (offsets[i + 1] = offsets[i]! + v.length));
  const bytes = new Uint8Array(offsets[values.length]!);
  values.forEach((v, i) => bytes.set(v, offsets[i]!));
  return makeVector(makeData({ type: new Utf8(), length: values.length, valueOffsets: offsets, data: bytes }));
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const mapping = { id: 'cid', time: 't', categorical: ['mcc'], numeric: ['amount'] };

async function fileWith(ids: Uint8Array[], mcc: Uint8Array[]): Promise<{ dir: string; path: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'meles-non-utf8-'));
  const n = ids.length;
  const table = new Table({
    cid: rawUtf8(ids),
    t: makeVector(Float64Array.from({ length: n }, (_, i) => i)),
    mcc: rawUtf8(mcc),
    amount: makeVector(new Float32Array(n).fill(1)),
    n: makeVector(new Int32Array(n)),
  });
  const path = join(dir, 'tx.arrow');
  await writeFile(path, tableToIPC(table, 'file'));
  return { dir, path };
}

describe('non-UTF-8 strings in Arrow columns', () => {
  it('refuses an id column with invalid bytes, naming the file, the column and the row', async () => {
    const { dir, path } = await fileWith([enc('a'), enc('b'), new Uint8Array([0x62, 0xff]), enc('a')], [enc('x'), enc('y'), enc('x'), enc('y')]);
    try {
      await assert.rejects(readSequences(path, mapping), (error: unknown) => {
        assert.ok(error instanceof DataFormatError);
        assert.match(error.message, new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: column \`cid\`: expected valid UTF-8 strings, found invalid bytes at row 2`));
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a categorical column with a truncated multi-byte character', async () => {
    const { dir, path } = await fileWith([enc('a'), enc('b'), enc('c')], [enc('ü'), new Uint8Array([0xc3]), enc('x')]);
    try {
      await assert.rejects(readSequences(path, mapping), /column `mcc`: expected valid UTF-8 strings, found invalid bytes at row 1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('still reads valid multi-byte strings', async () => {
    const { dir, path } = await fileWith([enc('клиент'), enc('b'), enc('клиент')], [enc('ü'), enc('ß'), enc('x')]);
    try {
      const { sequences } = await readSequences(path, mapping);
      assert.deepEqual(sequences.ids.values, ['клиент', 'b']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
