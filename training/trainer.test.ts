import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readSequences, type ReadSequencesResult } from '../data/read-sequences.js';
import { Rng } from '../data/random.js';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../data/synthetic/generate-transactions.js';
import { initBackend } from '../encoders/backend.js';
import { recallAtK } from '../metric/recall-at-k.js';
import { collateViews } from '../sampling/collate.js';
import { createSplitter } from '../sampling/create-splitter.js';
import { embedFile } from './embed-file.js';
import { loadModelDirectory } from './model-files.js';
import { trainModel, type TrainModelOptions } from './trainer.js';
import { resolveTrainingOptions, type TrainingConfigInput } from './training-options.js';

let root: string;
let data: ReadSequencesResult;
let transactions: string;

function options(overrides: TrainingConfigInput = {}): ReturnType<typeof resolveTrainingOptions> {
  return resolveTrainingOptions('test', {
    encoder: { hidden: 16, categoricalDim: 4 },
    splitter: { kind: 'slices', splitCount: 4, cntMin: 8, cntMax: 30 },
    validationSplitter: { kind: 'slices', splitCount: 4, cntMin: 8, cntMax: 30 },
    batchSize: 16,
    learningRate: 0.01,
    validationShare: 0.2,
    validationBatchSize: 40,
    schedule: { kind: 'constant' },
    seed: 5,
    ...overrides,
  });
}

function run(outDir: string, overrides: TrainingConfigInput = {}, extra: Partial<TrainModelOptions> = {}): ReturnType<typeof trainModel> {
  return trainModel({ data: data.sequences, vocabularies: data.vocabularies, schema: SYNTHETIC_SCHEMA, outDir, options: options(overrides), backend: 'wasm', ...extra });
}

describe('trainModel', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-train-'));
    const generated = await generateTransactions({ out: join(root, 'data'), clients: 120, minEvents: 20, maxEvents: 60, seed: 3 });
    transactions = generated.transactionsPath;
    data = await readSequences(transactions, SYNTHETIC_SCHEMA);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('makes the loss fall and recall@4 on training clients beat chance, without leaking tensors', async () => {
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const result = await run(join(root, 'fall'), { epochs: 4 }, { onProgress: () => counts.push(tf.memory().numTensors) });
    assert.equal(tf.memory().numTensors, before, 'no tensors left after training');
    assert.ok(counts.every((c) => c === counts[0]), `tensor count constant across batches: ${counts.join(',')}`);
    const losses = result.epochs.map((e) => e.loss);
    assert.ok(losses.at(-1)! < 0.8 * losses[0]!, `loss falls: ${losses.map((l) => l.toFixed(3)).join(' → ')}`);

    const { model } = await loadModelDirectory(join(root, 'fall'));
    const clients = Int32Array.from({ length: 60 }, (_, i) => i);
    const batch = collateViews(data.sequences, clients, createSplitter({ kind: 'slices', splitCount: 4, cntMin: 8, cntMax: 30 }), new Rng(9));
    const embeddings = model.embed(batch);
    const recall = recallAtK(embeddings, batch.labels, 4);
    embeddings.dispose();
    model.dispose();
    // Each view has 3 positives among 239 others: random neighbours give recall 3/239 ≈ 0.013.
    const chance = 3 / (batch.size - 1);
    assert.ok(recall > 5 * chance, `recall@4 ${recall.toFixed(3)} vs chance ${chance.toFixed(3)}`);
  });

  it('gives the same model for the same seed, and an interrupted + resumed run equals an uninterrupted one', async () => {
    const settings = { epochs: 2, maxBatchesPerEpoch: 3 };
    await run(join(root, 'a'), settings);
    await run(join(root, 'b'), settings);
    const controller = new AbortController();
    const stopped = await run(join(root, 'c'), settings, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.epoch === 0 && p.batch === 1) controller.abort();
      },
    });
    assert.equal(stopped.aborted, true);
    const resumed = await run(join(root, 'c'), settings, { resume: true });
    assert.equal(resumed.aborted, false);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((d) => readFile(join(root, d, 'weights.bin'))));
    assert.ok(a!.equals(b!), 'same seed, same weights');
    assert.ok(a!.equals(c!), 'resumed run equals uninterrupted run');
    await assert.rejects(run(join(root, 'c'), { ...settings, learningRate: 0.5 }, { resume: true }), /different options/);
  });

  for (const encoder of ['gru', 'lstm', 'transformer'] as const) {
    it(`${encoder}: trains, then embeds every client`, async () => {
      const dir = join(root, `enc-${encoder}`);
      const result = await run(dir, { epochs: 1, maxBatchesPerEpoch: 2, encoder: { encoder, hidden: 8, heads: 2, categoricalDim: 4 } });
      assert.equal(result.embeddingWidth, 8);
      const out = join(root, `emb-${encoder}.arrow`);
      const embedded = await embedFile({ model: dir, data: transactions, out, backend: 'wasm', batchSize: 50 });
      assert.equal(embedded.clients, 120);
      assert.equal(embedded.width, 8);
    });
  }
});
