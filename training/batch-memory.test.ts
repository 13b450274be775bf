import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../data/synthetic/generate-transactions.js';
import { initBackend } from '../encoders/backend.js';
import { buildEncoderConfig } from '../encoders/encoder-config.js';
import { MelesError } from '../errors.js';
import { checkBatchFitsHeap, trainStepLowerBoundBytes, WASM_HEAP_BYTES } from './batch-memory.js';
import { trainFromFile } from './train-from-file.js';
import { resolveTrainingOptions } from './training-options.js';

let root: string;
let transactions: string;

const FEATURES = { categorical: [{ name: 'small_group', vocabularySize: 10 }], numeric: ['amount_rur'] };

describe('batch memory', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-batch-memory-'));
    // Long histories: 64 clients × 2000 events, so 5 views of 2000 events each make a 640k-event batch.
    transactions = (await generateTransactions({ out: join(root, 'data'), clients: 64, minEvents: 2000, maxEvents: 2000, seed: 3 })).transactionsPath;
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('bounds a step from below by what the backward pass keeps per event and layer', () => {
    const options = resolveTrainingOptions('test', { encoder: { encoder: 'gru', hidden: 100, layers: 2 } });
    const gru = buildEncoderConfig(options.encoder, FEATURES);
    assert.equal(trainStepLowerBoundBytes(1000, gru), 1000 * 2 * 4 * 100 * 4);
    const bi = buildEncoderConfig(resolveTrainingOptions('test', { encoder: { encoder: 'lstm', hidden: 100, bidirectional: true } }).encoder, FEATURES);
    assert.equal(trainStepLowerBoundBytes(1000, bi), 1000 * 2 * 5 * 100 * 4);
    const transformer = buildEncoderConfig(resolveTrainingOptions('test', { encoder: { encoder: 'transformer', hidden: 64, feedForward: 128, layers: 3 } }).encoder, FEATURES);
    assert.equal(trainStepLowerBoundBytes(1000, transformer), 1000 * 3 * (4 * 64 + 128) * 4);
    // The default configuration at its largest batch (64 clients × 5 views × 200 events) is far below the heap.
    const defaults = resolveTrainingOptions('test');
    assert.ok(trainStepLowerBoundBytes(64 * 5 * 200, buildEncoderConfig(defaults.encoder, FEATURES)) < WASM_HEAP_BYTES / 4);
    checkBatchFitsHeap(64 * 5 * 200, 1, buildEncoderConfig(defaults.encoder, FEATURES), defaults, 'wasm');
    // Threads split the batch over heaps of their own; other backends have no wasm heap.
    const big = resolveTrainingOptions('test', { encoder: { hidden: 512 } });
    const bigConfig = buildEncoderConfig(big.encoder, FEATURES);
    assert.throws(() => checkBatchFitsHeap(600_000, 1, bigConfig, big, 'wasm'), MelesError);
    checkBatchFitsHeap(600_000, 4, bigConfig, big, 'wasm');
    checkBatchFitsHeap(600_000, 1, bigConfig, big, 'cpu');
  });

  it('a batch that cannot fit the wasm heap fails before the step with the numbers and the options to lower', async () => {
    const tensors = tf.memory().numTensors;
    const config = {
      encoder: { hidden: 512 },
      splitter: { kind: 'slices' as const, splitCount: 5, cntMin: 2000, cntMax: 2000 },
      batchSize: 64,
      epochs: 1,
      validationShare: 0,
      seed: 1,
    };
    await assert.rejects(trainFromFile({ data: transactions, schema: SYNTHETIC_SCHEMA, outDir: join(root, 'huge'), config: [config], backend: 'wasm' }), (e) => {
      assert.ok(e instanceof MelesError, String(e));
      assert.match(e.message, /needs at least 4\.9 GB for its backward pass, more than the tfjs wasm heap \(4\.0 GB at most\)/);
      assert.match(e.message, /a batch of 640000 events \(64 clients × 5 views\)/);
      assert.match(e.message, /--batch-size, now 64/);
      assert.match(e.message, /`cntMax` \(view length, now 2000\)/);
      assert.match(e.message, /--hidden, now 512/);
      return true;
    });
    assert.equal(tf.memory().numTensors, tensors);
  });
});
