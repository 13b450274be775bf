import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../data/random.js';
import { initBackend } from '../../encoders/backend.js';
import { buildEncoderConfig, type EncoderKind, resolveEncoderOptions } from '../../encoders/encoder-config.js';
import { l2Normalize } from '../../encoders/l2-normalize.js';
import type { EventBatch } from '../../encoders/packed-batch.js';
import { SequenceModel } from '../../encoders/sequence-model.js';
import { createLoss, DEFAULT_LOSS, DEFAULT_MINER } from '../../metric/create-loss.js';
import { DataParallelGradients, type ShardableBatch } from './data-parallel.js';
import { planShards, sliceBatch } from './shard-plan.js';

/** Random padded batch: `clients` × 4 views of lengths 3–40, one categorical and one numeric column. */
function randomBatch(seed: number, clients: number): EventBatch & { labels: Int32Array } {
  const rng = new Rng(seed);
  const size = clients * 4;
  const lengths = Int32Array.from({ length: size }, () => rng.int(3, 40));
  const maxLength = 40;
  const cat = new Int32Array(size * maxLength);
  const amount = new Float32Array(size * maxLength);
  for (let b = 0; b < size; b++) {
    for (let t = 0; t < lengths[b]!; t++) {
      cat[b * maxLength + t] = rng.int(1, 29);
      amount[b * maxLength + t] = rng.normal();
    }
  }
  return { size, maxLength, lengths, categorical: { mcc: cat }, numeric: { amount }, labels: Int32Array.from({ length: size }, (_, i) => Math.floor(i / 4)) };
}

function buildModel(encoder: EncoderKind): SequenceModel {
  const config = buildEncoderConfig(resolveEncoderOptions({ encoder, hidden: 24, categoricalDim: 6, heads: 2 }), {
    categorical: [{ name: 'mcc', vocabularySize: 30 }],
    numeric: ['amount'],
  });
  return new SequenceModel(config, 3);
}

function maxRelativeDifference(a: Float32Array, b: Float32Array): number {
  let scale = 1e-3;
  for (const v of a) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  return worst;
}

describe('shard plan', () => {
  it('deals rows by length so shards get equal work, and slices rows padded to their own longest', () => {
    const lengths = Int32Array.from([5, 9, 1, 9, 3, 7, 2]);
    const shards = planShards(lengths, 2);
    // Longest first (ties by row): 1, 3, 5, 0, 4, 6, 2, dealt in turn.
    assert.deepEqual(shards.map((s) => [...s]), [[1, 2, 4, 5], [0, 3, 6]]);
    assert.deepEqual(planShards(Int32Array.from([4]), 3).map((s) => s.length), [1, 0, 0]);
    const batch = randomBatch(1, 2);
    const slice = sliceBatch(batch, Int32Array.from([5, 1]));
    assert.equal(slice.maxLength, Math.max(batch.lengths[5]!, batch.lengths[1]!));
    assert.deepEqual([...slice.categorical.mcc!.subarray(0, batch.lengths[5]!)], [...batch.categorical.mcc!.subarray(5 * 40, 5 * 40 + batch.lengths[5]!)]);
  });
});

describe('data-parallel gradients', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
  });

  // Tolerances are relative to each gradient's largest entry. Sums over every event of the batch
  // (bias, batch-norm and embedding gradients) are accumulated in double (sum-kernel.ts, rnn-gates.c),
  // so the recurrent encoders agree within 1e-5. The Transformer passes each event through six
  // matrix products, and OpenBLAS rounds a row differently depending on how many rows it multiplies
  // at once (its edge kernels): a shard and the whole batch then differ by up to 1.5e-5 (Haswell
  // kernels, AMD EPYC; under 1e-5 with SkylakeX kernels on a Xeon). A lost or doubled shard would
  // differ by order 1.
  const cases = [
    { encoder: 'gru', loss: 'contrastive', tolerance: 1e-5 },
    { encoder: 'lstm', loss: 'contrastive', tolerance: 1e-5 },
    { encoder: 'transformer', loss: 'contrastive', tolerance: 3e-5 },
    // CosFace has its own trainable class weights: their gradient comes from the loss alone.
    { encoder: 'gru', loss: 'cosface', tolerance: 1e-5 },
  ] as const;
  for (const { encoder, loss: lossKind, tolerance } of cases) {
    it(`${encoder}, ${lossKind} loss: two threads give the one-thread loss and gradients within ${tolerance}, and leak no tensors`, async () => {
      const batch = randomBatch(7, 6);
      const loss = lossKind === 'cosface' ? createLoss({ kind: 'cosface', numClasses: 6, embeddingSize: 24 }) : createLoss(DEFAULT_LOSS, DEFAULT_MINER);
      const single = buildModel(encoder);
      const parallel = buildModel(encoder);
      // The loss's variables are shared by both computations (the one-thread step does not change them).
      const variables = (m: SequenceModel): tf.Variable[] => [...m.parameters().filter((p) => p.variable.trainable).map((p) => p.variable), ...loss.trainableVariables()];
      const one = tf.variableGrads(() => loss.call(l2Normalize(single.forward(single.pack(batch), { training: true, rng: new Rng(11) })), batch.labels), variables(single));
      const workers = await DataParallelGradients.start(2, parallel, 'wasm');
      try {
        const tensorsBefore = tf.memory().numTensors;
        const shardable: ShardableBatch = {
          views: batch,
          packed: parallel.pack(batch),
          mode: { training: true, rng: new Rng(11) },
          lossOfEmbeddings: (raw) => loss.call(l2Normalize(raw), batch.labels),
        };
        const two = await workers.gradients(shardable, variables(parallel));
        assert.ok(Math.abs(one.value.dataSync()[0]! - two.value.dataSync()[0]!) < 1e-5, 'loss');
        const names = single.parameters().filter((p) => p.variable.trainable);
        const twoNames = parallel.parameters().filter((p) => p.variable.trainable);
        for (const v of loss.trainableVariables()) {
          const diff = maxRelativeDifference(one.grads[v.name]!.dataSync() as Float32Array, two.grads[v.name]!.dataSync() as Float32Array);
          assert.ok(diff < 1e-5, `loss variable ${v.name}: relative difference ${diff}`);
        }
        if (lossKind === 'cosface') assert.ok(loss.trainableVariables().length > 0);
        names.forEach((p, i) => {
          const a = one.grads[p.variable.name];
          const b = two.grads[twoNames[i]!.variable.name];
          assert.equal(b === undefined, a === undefined, `gradient presence of ${p.name}`);
          if (a === undefined || b === undefined) return;
          const diff = maxRelativeDifference(a.dataSync() as Float32Array, b.dataSync() as Float32Array);
          assert.ok(diff < tolerance, `${p.name}: relative difference ${diff}`);
        });
        // Running batch-norm statistics moved exactly as in the one-thread step.
        single.parameters().filter((p) => !p.variable.trainable).forEach((p, i) => {
          const q = parallel.parameters().filter((x) => !x.variable.trainable)[i]!;
          assert.deepEqual([...(q.variable.dataSync() as Float32Array)], [...(p.variable.dataSync() as Float32Array)], p.name);
        });
        tf.dispose([two.value, two.grads]);
        assert.equal(tf.memory().numTensors, tensorsBefore);
      } finally {
        await workers.dispose();
        tf.dispose([one.value, one.grads]);
        loss.dispose();
        single.dispose();
        parallel.dispose();
      }
    });
  }
});
