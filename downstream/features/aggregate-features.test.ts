import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType } from 'apache-arrow';
import { openRecordBatches } from '../../data/arrow-source.js';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { DataFormatError } from '../../errors.js';
import { sampleStd } from './aggregate-features.js';
import { writeAggregateFeatures } from './aggregate-features-io.js';

const mapping = { id: 'client', time: 't', categorical: ['mcc'], numeric: ['amount'] };

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'meles-agg-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readColumns(path: string): Promise<{ names: string[]; types: Record<string, string>; get: (n: string) => unknown[] }> {
  const columns: Record<string, unknown[]> = {};
  const types: Record<string, string> = {};
  let names: string[] = [];
  for await (const batch of openRecordBatches(path)) {
    names = batch.schema.fields.map((f) => f.name);
    for (const f of batch.schema.fields) {
      types[f.name] = String(f.type as DataType);
      (columns[f.name] ??= []).push(...batch.getChild(f.name)!.toArray());
    }
  }
  return { names, types, get: (n) => columns[n]! };
}

describe('hand-crafted aggregate features', () => {
  it('matches a hand computation, keeps the id type and names columns by original token', async () => {
    await withDir(async (dir) => {
      // client 7: mcc 5411 ×2 (10, 30), mcc 5912 ×1 (5); client 3: mcc 5411 ×1 (4).
      await writeArrowTable(join(dir, 'tx.arrow'), tableFromColumns({
        client: new Int32Array([7, 3, 7, 7]),
        t: new Float64Array([1, 2, 3, 2]),
        mcc: ['5411', '5411', '5912', '5411'],
        amount: new Float32Array([10, 4, 5, 30]),
      }));
      const summary = await writeAggregateFeatures(join(dir, 'tx.arrow'), mapping, join(dir, 'f.arrow'));
      assert.equal(summary.clients, 2);
      assert.equal(summary.events, 4);
      const f = await readColumns(join(dir, 'f.arrow'));
      assert.equal(f.names[0], 'client');
      assert.equal(f.types.client, 'Int32');
      assert.deepEqual(f.get('client'), [7, 3]);
      assert.deepEqual(f.names.slice(1), [
        'seq_len', 'amount__sum', 'amount__mean', 'amount__std',
        'mcc_<unk>__count', 'amount__mcc_<unk>__mean', 'amount__mcc_<unk>__std',
        'mcc_5411__count', 'amount__mcc_5411__mean', 'amount__mcc_5411__std',
        'mcc_5912__count', 'amount__mcc_5912__mean', 'amount__mcc_5912__std',
        'mcc__distinct',
      ]);
      assert.equal(summary.features, 14);
      assert.deepEqual(f.get('seq_len'), [3, 1]);
      assert.deepEqual(f.get('amount__sum'), [45, 4]);
      assert.deepEqual(f.get('amount__mean'), [15, 4]);
      // sample std of (10, 5, 30) = sqrt(((10-15)² + (5-15)² + (30-15)²) / 2) = sqrt(175)
      const std = f.get('amount__std') as number[];
      assert.ok(Math.abs(std[0]! - Math.sqrt(175)) < 1e-4);
      assert.ok(Number.isNaN(std[1]), 'std of one event is undefined (NaN)');
      assert.deepEqual(f.get('mcc_5411__count'), [2, 1]);
      assert.deepEqual(f.get('amount__mcc_5411__mean'), [20, 4]);
      const s5411 = f.get('amount__mcc_5411__std') as number[];
      assert.ok(Math.abs(s5411[0]! - Math.sqrt(200)) < 1e-4);
      assert.deepEqual(f.get('mcc_5912__count'), [1, 0]);
      const m5912 = f.get('amount__mcc_5912__mean') as number[];
      assert.equal(m5912[0], 5);
      assert.ok(Number.isNaN(m5912[1]), 'mean over no events is NaN (missing for LightGBM)');
      assert.deepEqual(f.get('mcc_<unk>__count'), [0, 0]);
      assert.deepEqual(f.get('mcc__distinct'), [2, 1]);
    });
  });

  it('pools values beyond maxValuesPerCategorical into <unk>, ignores transforms, keeps string ids', async () => {
    await withDir(async (dir) => {
      await writeArrowTable(join(dir, 'tx.arrow'), tableFromColumns({
        client: ['u1', 'u1', 'u1', 'u2'],
        t: new Float64Array([1, 2, 3, 4]),
        mcc: ['a', 'a', 'b', 'c'],
        amount: new Float32Array([1, 1, 2, 100]),
      }));
      await writeAggregateFeatures(join(dir, 'tx.arrow'), { ...mapping, transforms: { amount: 'log' } }, join(dir, 'f.arrow'), {
        maxValuesPerCategorical: 1,
      });
      const f = await readColumns(join(dir, 'f.arrow'));
      assert.equal(f.types.client, 'Utf8');
      assert.deepEqual(f.get('client'), ['u1', 'u2']);
      assert.deepEqual(f.get('mcc_a__count'), [2, 0]);
      assert.deepEqual(f.get('mcc_<unk>__count'), [1, 1]);
      assert.deepEqual(f.get('amount__mcc_<unk>__mean'), [2, 100]);
      assert.deepEqual(f.get('amount__sum'), [4, 100]);
      assert.ok(!f.names.includes('mcc_b__count'));
    });
  });

  it('keeps 64-bit client ids as Int64', async () => {
    await withDir(async (dir) => {
      await writeArrowTable(join(dir, 'tx.arrow'), tableFromColumns({
        client: new BigInt64Array([2n ** 40n, 5n, 2n ** 40n]),
        t: new Float64Array([1, 2, 3]),
        mcc: ['a', 'b', 'a'],
        amount: new Float32Array([1, 2, 3]),
      }));
      await writeAggregateFeatures(join(dir, 'tx.arrow'), mapping, join(dir, 'f.arrow'));
      const f = await readColumns(join(dir, 'f.arrow'));
      assert.equal(f.types.client, 'Int64');
      assert.deepEqual(f.get('client'), [2n ** 40n, 5n]);
      assert.deepEqual(f.get('seq_len'), [2, 1]);
    });
  });

  it('reports a missing column with file and column name, and writes no output', async () => {
    await withDir(async (dir) => {
      await writeArrowTable(join(dir, 'tx.arrow'), tableFromColumns({ client: new Int32Array([1]), t: new Float64Array([1]) }));
      await assert.rejects(
        writeAggregateFeatures(join(dir, 'tx.arrow'), mapping, join(dir, 'f.arrow')),
        (e: unknown) => e instanceof DataFormatError && /tx\.arrow: column `mcc`/.test(e.message),
      );
      await assert.rejects(readColumns(join(dir, 'f.arrow')), DataFormatError);
    });
  });

  it('computes the sample std from sums', () => {
    assert.equal(sampleStd(2, 4, 10), Math.sqrt(2)); // values 1, 3
    assert.ok(Number.isNaN(sampleStd(1, 5, 25)));
    assert.equal(sampleStd(3, 6, 12), 0); // constant 2, 2, 2
  });
});
