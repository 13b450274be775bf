import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../data/synthetic/generate-transactions.js';
import { initBackend } from '../encoders/backend.js';
import { ConfigError } from '../errors.js';
import type { BatchProgress } from './trainer.js';
import { trainFromFile } from './train-from-file.js';
import { TINY_TRAINING } from './testing/tiny-training.js';
import type { TrainingConfigInput } from './training-options.js';

let root: string;
let transactions: string;

const CONFIG: TrainingConfigInput = { ...TINY_TRAINING, batchSize: 10, maxBatchesPerEpoch: 2, validationShare: 0, seed: 4 };

describe('trainFromFile', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-train-file-'));
    transactions = (await generateTransactions({ out: join(root, 'data'), clients: 40, minEvents: 10, maxEvents: 30, seed: 6 })).transactionsPath;
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("refuses --resume without a checkpoint, and a missing mapping, before reading the data", async () => {
    const out = join(root, 'empty');
    await assert.rejects(trainFromFile({ data: 'no-such-file.arrow', outDir: out, resume: 'required' }), (e) => e instanceof ConfigError && /--resume: .* has no checkpoint/.test(e.message));
    await assert.rejects(trainFromFile({ data: 'no-such-file.arrow', outDir: out }), (e) => e instanceof ConfigError && /Expected a schema mapping/.test(e.message));
  });

  it('resumes an interrupted run from its own schema, vocabularies and options, to the same weights', async () => {
    const whole = await trainFromFile({ data: transactions, schema: SYNTHETIC_SCHEMA, outDir: join(root, 'whole'), config: [CONFIG], backend: 'wasm' });
    assert.equal(whole.resumed, false);
    const out = join(root, 'parts');
    const controller = new AbortController();
    const events: BatchProgress[] = [];
    const stopped = await trainFromFile({
      data: transactions,
      schema: SYNTHETIC_SCHEMA,
      outDir: out,
      config: [CONFIG],
      backend: 'wasm',
      signal: controller.signal,
      onProgress: (p) => {
        events.push(p);
        if (p.epoch === 0 && p.batch === 0) controller.abort();
      },
    });
    assert.equal(stopped.aborted, true);
    assert.deepEqual(events.map((e) => [e.epoch, e.epochs, e.batch, e.batches]), [[0, 2, 0, 2]]);
    // No schema and no options given: the run directory's schema.json and checkpoint supply them.
    const resumed = await trainFromFile({ data: transactions, outDir: out, resume: 'required', backend: 'wasm' });
    assert.equal(resumed.resumed, true);
    assert.equal(resumed.options.epochs, 2);
    const [a, b] = await Promise.all([readFile(join(root, 'whole', 'weights.bin')), readFile(join(out, 'weights.bin'))]);
    assert.ok(a.equals(b), 'resumed run equals the uninterrupted one');
  });

  it("'if-checkpoint' starts afresh when there is none", async () => {
    const result = await trainFromFile({ data: transactions, schema: SYNTHETIC_SCHEMA, outDir: join(root, 'fresh'), resume: 'if-checkpoint', config: [CONFIG, { epochs: 1 }], backend: 'wasm' });
    assert.equal(result.resumed, false);
    assert.equal(result.epochs.length, 1);
  });
});
