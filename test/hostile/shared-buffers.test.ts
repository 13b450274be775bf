import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRecordBatches } from '../../data/arrow-source.js';
import { tableFromColumns, writeArrowFile, writeArrowTable } from '../../data/arrow-sink.js';

let dir: string;

/** Every column of every batch of `path` as plain numbers, read back through the checked reader. */
async function readColumns(path: string): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for await (const batch of openRecordBatches(path)) {
    for (const field of batch.schema.fields) {
      const values = batch.getChild(field.name)!.toArray() as ArrayLike<number>;
      (out[field.name] ??= []).push(...Array.from(values));
    }
  }
  return out;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meles-hostile-sink-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Arrow sink with columns that share memory', () => {
  it('one typed array written as two columns reads back as two equal columns (was: corrupt body, "Expected to read … bytes")', async () => {
    const values = Float64Array.from({ length: 1000 }, (_, i) => i * 0.5);
    const ids = Int32Array.from({ length: 1000 }, (_, i) => i);
    const path = join(dir, 'same.arrow');
    await writeArrowTable(path, tableFromColumns({ id: ids, x: values, y: values }));
    const read = await readColumns(path);
    assert.deepEqual(read.x, Array.from(values));
    assert.deepEqual(read.y, Array.from(values));
    assert.deepEqual(read.id, Array.from(ids));
  });

  it('overlapping views of one ArrayBuffer keep their own bytes; adjacent views and the stream format too', async () => {
    const backing = Float32Array.from({ length: 300 }, (_, i) => i);
    const a = backing.subarray(0, 200);
    const b = backing.subarray(100, 300); // overlaps a
    const c = backing.subarray(200, 300).slice(); // distinct
    const d = backing.subarray(0, 100); // inside a, starts at the same byte
    for (const format of ['file', 'stream'] as const) {
      const path = join(dir, `overlap.${format}.arrow`);
      await writeArrowTable(path, tableFromColumns({ a, b, c: Float32Array.from([...c, ...c]), d: Float32Array.from([...d, ...d]) }), format);
      const read = await readColumns(path);
      assert.deepEqual(read.a, Array.from(a), format);
      assert.deepEqual(read.b, Array.from(b), format);
    }
    const path = join(dir, 'batches.arrow');
    const table = tableFromColumns({ a, b });
    await writeArrowFile(path, [...table.batches, ...table.batches]);
    const read = await readColumns(path);
    assert.deepEqual(read.b, [...Array.from(b), ...Array.from(b)]);
  });
});
