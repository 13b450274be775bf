import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readSequences, type ReadSequencesResult } from '../../data/read-sequences.js';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../../data/synthetic/generate-transactions.js';
import { initBackend } from '../../encoders/backend.js';
import { loadModelDirectory } from '../model-files.js';
import { trainModel } from '../trainer.js';
import { resolveTrainingOptions } from '../training-options.js';

let root: string;
let data: ReadSequencesResult;

async function train(name: string, threads: number): Promise<Map<string, Float32Array>> {
  const outDir = join(root, name);
  const options = resolveTrainingOptions('test', {
    encoder: { hidden: 16, categoricalDim: 4 },
    splitter: { kind: 'slices', splitCount: 4, cntMin: 8, cntMax: 30 },
    batchSize: 16,
    learningRate: 0.01,
    validationShare: 0,
    epochs: 2,
    maxBatchesPerEpoch: 2,
    seed: 5,
  });
  await trainModel({ data: data.sequences, vocabularies: data.vocabularies, schema: SYNTHETIC_SCHEMA, outDir, options, backend: 'wasm', threads });
  const { model } = await loadModelDirectory(outDir);
  const weights = new Map(model.parameters().map((p) => [p.name, p.variable.dataSync().slice() as Float32Array]));
  model.dispose();
  return weights;
}

describe('trainModel with threads', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-threads-'));
    const generated = await generateTransactions({ out: join(root, 'data'), clients: 60, minEvents: 20, maxEvents: 60, seed: 3 });
    data = await readSequences(generated.transactionsPath, SYNTHETIC_SCHEMA);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('2 threads give the 1-thread model within 1e-5 after 4 steps, the same bytes again for the same seed, and leak no tensors', async () => {
    const tensors = tf.memory().numTensors;
    const one = await train('one', 1);
    const two = await train('two', 2);
    const again = await train('two-again', 2);
    assert.equal(tf.memory().numTensors, tensors);
    assert.deepEqual([...two.keys()], [...one.keys()]);
    let moved = 0;
    for (const [name, a] of one) {
      const b = two.get(name)!;
      for (let i = 0; i < a.length; i++) {
        assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-5, `${name}[${i}]: ${a[i]} (1 thread) vs ${b[i]} (2 threads)`);
        if (a[i] !== b[i]) moved++;
      }
    }
    // Sharded sums round differently from whole-batch ones: bit-equal weights would mean the workers were not used.
    assert.ok(moved > 0, 'the 2-thread model is not bit-identical to the 1-thread one');
    assert.deepEqual(await readFile(join(root, 'two-again', 'weights.bin')), await readFile(join(root, 'two', 'weights.bin')));
    for (const [name, a] of two) assert.deepEqual(again.get(name), a, name);
  });
});
