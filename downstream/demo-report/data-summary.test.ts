import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { writeDataSummary } from './data-summary.js';

describe('writeDataSummary', () => {
  it('counts rows, clients, lengths, distinct values and ranges of a real Arrow file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-summary-'));
    try {
      // Clients 7 (1 event), 8 (2 events), 9 (3 events), rows interleaved.
      const data = join(dir, 'tx.arrow');
      await writeArrowTable(data, tableFromColumns({
        client_id: Int32Array.from([9, 8, 9, 7, 8, 9]),
        day: Float64Array.from([5, 3, 1, 10, 4, 2]),
        mcc: ['a', 'b', 'a', 'c', 'a', 'a'],
        amount: Float32Array.from([1, 2, 3, 4, 5, 6]),
      }));
      const out = join(dir, 'inspect.json');
      const summary = await writeDataSummary(data, { id: 'client_id', time: 'day', categorical: ['mcc'], numeric: ['amount'] }, out);
      assert.equal(summary.rows, 6);
      assert.equal(summary.clients, 3);
      assert.deepEqual(summary.sequenceLength, { min: 1, p10: 1, p50: 2, p90: 3, max: 3, mean: 2 });
      assert.deepEqual(summary.timeRange, { min: 1, max: 10, unit: 'number' });
      assert.deepEqual(summary.distinctValues, { mcc: 3 });
      assert.deepEqual(summary.numeric['amount'], { min: 1, mean: 3.5, max: 6 });
      assert.deepEqual(JSON.parse(await readFile(out, 'utf8')), JSON.parse(JSON.stringify(summary)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
