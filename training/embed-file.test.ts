import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { parquetReadObjects } from 'hyparquet';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../data/synthetic/generate-transactions.js';
import { Vocabulary } from '../data/vocabulary.js';
import { initBackend } from '../encoders/backend.js';
import { buildEncoderConfig, resolveEncoderOptions } from '../encoders/encoder-config.js';
import { SequenceModel } from '../encoders/sequence-model.js';
import { embedFile } from './embed-file.js';
import { saveModelDirectory } from './model-files.js';

let root: string;
let transactions: string;
let modelDir: string;

describe('embedFile', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-embed-'));
    transactions = (await generateTransactions({ out: join(root, 'data'), clients: 40, minEvents: 5, maxEvents: 30, seed: 8 })).transactionsPath;
    // Vocabularies that know only a few tokens: every other category is unseen and maps to index 1.
    const vocab = Vocabulary.fromJSON({ tokens: ['0', '1', '2'], counts: [3, 2, 1] }, 'test');
    const config = buildEncoderConfig(resolveEncoderOptions({ hidden: 6, categoricalDim: 2 }), {
      categorical: SYNTHETIC_SCHEMA.categorical.map((name) => ({ name, vocabularySize: vocab.size })),
      numeric: SYNTHETIC_SCHEMA.numeric,
    });
    const model = new SequenceModel(config, 2);
    modelDir = join(root, 'model');
    const vocabularies = Object.fromEntries(SYNTHETIC_SCHEMA.categorical.map((c) => [c, vocab]));
    await saveModelDirectory(modelDir, { model, vocabularies, schema: SYNTHETIC_SCHEMA, training: {}, backend: 'wasm' });
    model.dispose();
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes client_id (source type) and float32 emb_* columns; formats agree; no temp files remain', async () => {
    const arrow = join(root, 'e.arrow');
    // maxBatchEvents 25 with tails of up to 10 events: batches of 2–3 clients, still one row per client in order.
    const result = await embedFile({ model: modelDir, data: transactions, out: arrow, backend: 'wasm', batchSize: 7, maxEvents: 10, maxBatchEvents: 25 });
    assert.equal(result.clients, 40);
    const table = tableFromIPC(await readFile(arrow));
    assert.deepEqual(table.schema.fields.map((f) => f.name), ['client_id', ...Array.from({ length: 6 }, (_, j) => `emb_${j}`)]);
    assert.equal(String(table.schema.fields[0]!.type), 'Int32');
    assert.equal(String(table.schema.fields[1]!.type), 'Float32');
    const csv = join(root, 'e.csv');
    await embedFile({ model: modelDir, data: transactions, out: csv, format: 'csv', backend: 'wasm', batchSize: 16, maxEvents: 10 });
    const lines = (await readFile(csv, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 41);
    const first = lines[1]!.split(',').map(Number);
    assert.equal(first[0], table.get(0)!.client_id);
    first.slice(1).forEach((v, j) => assert.equal(Math.fround(v), table.get(0)![`emb_${j}`]));
    const parquet = join(root, 'e.parquet');
    await embedFile({ model: modelDir, data: transactions, out: parquet, format: 'parquet', backend: 'wasm', maxEvents: 10 });
    const buf = await readFile(parquet);
    const rows = await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) });
    assert.equal(rows.length, 40);
    assert.equal(rows[5]!.client_id, table.get(5)!.client_id);
    assert.equal(Math.fround(rows[5]!.emb_3 as number), table.get(5)!.emb_3);
    assert.deepEqual((await readdir(root)).filter((f) => f.includes('.tmp-')), []);
  });

  it('shards cover every client exactly once, by range and by id hash', async () => {
    for (const by of ['range', 'hash'] as const) {
      const ids: number[] = [];
      for (let index = 0; index < 3; index++) {
        const out = join(root, `s-${by}-${index}.arrow`);
        await embedFile({ model: modelDir, data: transactions, out, backend: 'wasm', shard: { index, count: 3, by } });
        ids.push(...(tableFromIPC(await readFile(out)).getChild('client_id')!.toArray() as Int32Array));
      }
      assert.equal(ids.length, 40, by);
      assert.equal(new Set(ids).size, 40, by);
    }
  });
});
