import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Float64, Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { writeArrowTable } from './arrow-sink.js';
import { inspectFile, quantiles } from './inspect-file.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meles-inspect-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('inspectFile', () => {
  it('summarises rows, clients, lengths, cardinalities, time range and nulls per column', async () => {
    const path = join(dir, 'tx.arrow');
    await writeArrowTable(
      path,
      new Table({
        id: vectorFromArray([1, 1, 1, 2, 3, 3], new Int32()),
        t: vectorFromArray([5, 1, 3, 2, 9, 4], new Float64()),
        mcc: vectorFromArray(['a', 'b', null, 'a', 'a', 'c'], new Utf8()),
        amount: vectorFromArray([1, NaN, 3, null, 5, 6], new Float64()),
        unused: vectorFromArray([null, null, 1, 1, 1, 1], new Int32()),
      }),
    );
    const s = await inspectFile(path, { id: 'id', time: 't', categorical: ['mcc'], numeric: ['amount'] });
    assert.equal(s.format, 'file');
    assert.equal(s.rows, 6);
    assert.equal(s.clients, 3);
    assert.deepEqual(s.sequenceLength, { min: 1, p05: 1, p25: 1, median: 2, p75: 3, p95: 3, max: 3, mean: 2 });
    assert.deepEqual(s.categorical.mcc, { cardinality: 3, top: [['a', 3], ['b', 1], ['c', 1]] });
    assert.deepEqual(s.time, { min: 1, max: 9, unit: 'number' });
    assert.deepEqual(s.columns.map((c) => [c.name, c.nulls]), [['id', 0], ['t', 0], ['mcc', 1], ['amount', 1], ['unused', 2]]);
    assert.deepEqual(s.replaced, { nullCategorical: { mcc: 1 }, nonFiniteNumeric: { amount: 2 } });
  });

  it('reports all null ids of the file at once', async () => {
    const path = join(dir, 'null-ids.arrow');
    await writeArrowTable(path, new Table({ id: vectorFromArray([1, null, null], new Int32()), t: vectorFromArray([1, 2, 3], new Float64()) }));
    await assert.rejects(inspectFile(path, { id: 'id', time: 't', categorical: [], numeric: [] }), {
      name: 'DataFormatError',
      message: /null-ids\.arrow: column `id` \(id\): expected no nulls, found 2 null\(s\) in the file/,
    });
  });

  it('computes nearest-rank quantiles', () => {
    const q = quantiles(Float64Array.from({ length: 100 }, (_, i) => 100 - i));
    assert.deepEqual([q.min, q.p05, q.p25, q.median, q.p75, q.p95, q.max, q.mean], [1, 5, 25, 50, 75, 95, 100, 50.5]);
  });
});
