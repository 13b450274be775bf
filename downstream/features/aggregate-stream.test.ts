import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Float32, Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { writeArrowTable } from '../../data/arrow-sink.js';
import { readSequences } from '../../data/read-sequences.js';
import { readSchemaMapping } from '../../data/schema-mapping-io.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import { generateTransactions } from '../../data/synthetic/generate-transactions.js';
import { computeAggregateFeatures, type AggregateFeatures } from './aggregate-features.js';
import { streamAggregateFeatures } from './aggregate-stream.js';

/** Streaming (file order) and in-memory (time order) must agree up to summation order. */
function assertSameFeatures(streamed: AggregateFeatures, inMemory: AggregateFeatures): void {
  assert.deepEqual(streamed.ids, inMemory.ids);
  assert.deepEqual(streamed.names, inMemory.names);
  streamed.columns.forEach((column, j) => {
    const other = inMemory.columns[j]!;
    for (let r = 0; r < column.length; r++) {
      const a = column[r]!;
      const b = other[r]!;
      if (Number.isNaN(a) || Number.isNaN(b)) assert.ok(Number.isNaN(a) && Number.isNaN(b), `${streamed.names[j]} row ${r}: ${a} vs ${b}`);
      else assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${streamed.names[j]} row ${r}: ${a} vs ${b}`);
    }
  });
}

async function bothWays(path: string, mapping: SchemaMapping): Promise<void> {
  const { features, events } = await streamAggregateFeatures(path, mapping, { vocabularyOptions: { maxSize: 52 } });
  const { sequences, vocabularies, rows } = await readSequences(path, { ...mapping, transforms: {} }, { vocabularyOptions: { maxSize: 52 } });
  assert.equal(events, rows);
  assertSameFeatures(features, computeAggregateFeatures(sequences, vocabularies));
}

describe('streaming aggregate features', () => {
  it('equals the in-memory computation on generated data (interleaved clients, many batches)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-aggs-'));
    try {
      const g = await generateTransactions({ out: dir, clients: 150, minEvents: 20, maxEvents: 60, batchRows: 1000 });
      await bothWays(g.transactionsPath, await readSchemaMapping(g.schemaPath));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('treats null categories and null/NaN numerics like readSequences, and rejects null ids', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-aggs-'));
    try {
      const mapping = { id: 'client', time: 't', categorical: ['mcc'], numeric: ['amount'] };
      const table = new Table({
        client: vectorFromArray([1, 2, 1, 1], new Int32()),
        t: vectorFromArray([1, 2, 3, 4], new Int32()),
        mcc: vectorFromArray(['a', null, 'b', null], new Utf8()),
        amount: vectorFromArray([1, null, NaN, 4], new Float32()),
      });
      await writeArrowTable(join(dir, 'tx.arrow'), table);
      await bothWays(join(dir, 'tx.arrow'), mapping);
      const { features } = await streamAggregateFeatures(join(dir, 'tx.arrow'), mapping);
      const col = (name: string) => Array.from(features.columns[features.names.indexOf(name)]!);
      assert.deepEqual(col('mcc_<unk>__count'), [1, 1]);
      assert.deepEqual(col('amount__sum'), [5, 0]);

      await writeArrowTable(join(dir, 'bad.arrow'), new Table({
        client: vectorFromArray([1, null], new Int32()),
        t: vectorFromArray([1, 2], new Int32()),
        mcc: vectorFromArray(['a', 'b'], new Utf8()),
        amount: vectorFromArray([1, 2], new Float32()),
      }));
      await assert.rejects(streamAggregateFeatures(join(dir, 'bad.arrow'), mapping), {
        name: 'DataFormatError', message: /bad\.arrow: column `client` \(id\): expected no nulls, found 1 null\(s\) in a batch, the first at row 1/,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
