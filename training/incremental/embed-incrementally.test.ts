import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { generateTransactions } from '../../data/synthetic/generate-transactions.js';
import { openStateFile } from '../../data/state-file.js';
import { initBackend } from '../../encoders/backend.js';
import type { EncoderOptions } from '../../encoders/encoder-config.js';
import { embedFile } from '../embed-file.js';
import { embedIncrementally } from './embed-incrementally.js';
import { splitHistory } from './testing/split-history.js';
import { saveTestModel } from './testing/test-model.js';

let root: string;
let whole: string;
let history: string;
let fresh: string;
const NEW_CLIENTS = new Set([3, 17, 29]);

async function embeddingsById(path: string): Promise<Map<number, Float32Array>> {
  const table = tableFromIPC(await readFile(path));
  const ids = table.getChild('client_id')!.toArray() as Int32Array;
  const width = table.numCols - 1;
  const columns = Array.from({ length: width }, (_, j) => table.getChild(`emb_${j}`)!.toArray() as Float32Array);
  return new Map(Array.from(ids, (id, r) => [id, Float32Array.from(columns, (c) => c[r]!)]));
}

describe('embedIncrementally', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-incremental-'));
    whole = (await generateTransactions({ out: join(root, 'data'), clients: 40, minEvents: 5, maxEvents: 40, seed: 8 })).transactionsPath;
    history = join(root, 'history.arrow');
    fresh = join(root, 'fresh.arrow');
    // Times span two years (days); the last ~90 days are the new events, so many clients have none.
    const split = await splitHistory({ source: whole, cut: 640, history, fresh, newClients: NEW_CLIENTS });
    assert.ok(split.history > 0 && split.fresh > 0);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const cases: [string, Partial<EncoderOptions>][] = [
    ['GRU, 1 layer', { encoder: 'gru', layers: 1 }],
    ['GRU, 2 layers', { encoder: 'gru', layers: 2 }],
    ['LSTM, 2 layers', { encoder: 'lstm', layers: 2 }],
  ];
  for (const [name, options] of cases) {
    it(`${name}: history then new events equals embedding the whole history (1e-5), for continued, unchanged and new clients`, async () => {
      const dir = join(root, name.replace(/\W+/g, '-'));
      await saveTestModel(join(dir, 'model'), options);
      const model = join(dir, 'model');
      await embedFile({ model, data: whole, out: join(dir, 'full.arrow'), backend: 'wasm', maxEvents: 100_000, batchSize: 16 });
      const first = await embedIncrementally({ model, data: history, out: join(dir, 'e0.arrow'), stateOut: join(dir, 's0.arrow'), backend: 'wasm', batchSize: 7 });
      assert.equal(first.clients, 40 - NEW_CLIENTS.size);
      assert.equal(first.started, first.clients);
      const second = await embedIncrementally({ model, state: join(dir, 's0.arrow'), data: fresh, out: join(dir, 'e1.arrow'), stateOut: join(dir, 's1.arrow'), backend: 'wasm', batchSize: 5, maxBatchEvents: 20 });
      assert.equal(second.clients, 40);
      assert.equal(second.started, NEW_CLIENTS.size);
      assert.ok(second.continued > 0 && second.unchanged > 0, `continued ${second.continued}, unchanged ${second.unchanged}`);
      const full = await embeddingsById(join(dir, 'full.arrow'));
      const incremental = await embeddingsById(join(dir, 'e1.arrow'));
      assert.deepEqual([...incremental.keys()].sort((a, b) => a - b), [...full.keys()].sort((a, b) => a - b));
      let worst = 0;
      for (const [id, expected] of full) expected.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - incremental.get(id)![j]!))));
      assert.ok(worst < 1e-5, `max |incremental - full| = ${worst}`);
      // Unchanged clients keep their embedding bit for bit.
      const before = await embeddingsById(join(dir, 'e0.arrow'));
      const freshIds = new Set(Array.from(tableFromIPC(await readFile(fresh)).getChild('client_id')!.toArray() as Int32Array));
      for (const [id, emb] of before) if (!freshIds.has(id)) assert.deepEqual(incremental.get(id), emb, `client ${id}`);
      // The state counts every event of the history.
      const state = await openStateFile(join(dir, 's1.arrow'));
      let events = 0;
      for await (const chunk of state.chunks) events += chunk.eventCount.reduce((s, v) => s + v, 0);
      assert.equal(events, tableFromIPC(await readFile(whole)).numRows);
      assert.deepEqual((await readdir(dir)).filter((f) => f.includes('.tmp-')), []);
    });
  }

  it('with --l2, the embeddings are the L2-normalised full ones; a state can be replaced in place', async () => {
    const dir = join(root, 'l2');
    const model = join(dir, 'model');
    await saveTestModel(model, { encoder: 'gru' });
    await embedFile({ model, data: whole, out: join(dir, 'full.arrow'), backend: 'wasm', maxEvents: 100_000, l2: true });
    const state = join(dir, 'state.arrow');
    await embedIncrementally({ model, data: history, out: join(dir, 'e0.arrow'), stateOut: state, backend: 'wasm' });
    await embedIncrementally({ model, state, data: fresh, out: join(dir, 'e1.arrow'), stateOut: state, backend: 'wasm', l2: true });
    const full = await embeddingsById(join(dir, 'full.arrow'));
    const incremental = await embeddingsById(join(dir, 'e1.arrow'));
    for (const [id, expected] of full) expected.forEach((v, j) => assert.ok(Math.abs(v - incremental.get(id)![j]!) < 1e-5, `client ${id}`));
  });
});
