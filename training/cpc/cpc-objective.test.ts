/**
 * The model side of CPC: per-event outputs agree with the one-vector forward pass (state after the
 * last event) and with forward passes over prefixes (causality), GRU and LSTM, 1 and 2 layers, on
 * wasm (fused GRU included); Transformer and bidirectional encoders are refused; a few Adam steps on
 * {@link cpcLossOf} lower the loss of a fixed batch.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../data/random.js';
import { initBackend } from '../../encoders/backend.js';
import type { EncoderOptions } from '../../encoders/encoder-config.js';
import { randomBatch, testModel } from '../../encoders/model-test-helpers.js';
import { type EventBatch, packedRow } from '../../encoders/packed-batch.js';
import type { SequenceModel } from '../../encoders/sequence-model.js';
import { ConfigError } from '../../errors.js';
import { Adam } from '../adam.js';
import { CpcLoss } from './cpc-loss.js';
import { cpcHasSignal, cpcLossOf } from './cpc-objective.js';

/** The same batch with every sequence cut to at most `n` events. */
function prefix(batch: EventBatch, n: number): EventBatch {
  return { ...batch, lengths: batch.lengths.map((len) => Math.min(len, n)) };
}

/** A small test model without embedding noise. */
function model(options: Partial<EncoderOptions>): SequenceModel {
  return testModel({ embeddingNoise: 0, ...options });
}

describe('SequenceModel.forwardEvents', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
  });

  for (const options of [{ encoder: 'gru' }, { encoder: 'lstm' }, { encoder: 'gru', layers: 2 }, { encoder: 'lstm', layers: 2 }] as const) {
    it(`${options.encoder}, ${'layers' in options ? options.layers : 1} layer(s): c_t = the encoding of the first t + 1 events`, () => {
      const m = model(options);
      const batch = randomBatch(1, [4, 6, 1, 3]);
      const packed = m.pack(batch);
      const before = tf.memory().numTensors;
      const c = tf.tidy(() => {
        const out = m.forwardEvents(packed, { training: false });
        assert.deepEqual(out.z.shape, [packed.events, m.eventWidth]);
        assert.deepEqual(out.c.shape, [packed.events, m.width]);
        return out.c.arraySync();
      });
      assert.equal(tf.memory().numTensors, before);
      for (let n = 1; n <= 6; n++) {
        const embedded = m.embed(prefix(batch, n));
        const rows = embedded.arraySync();
        embedded.dispose();
        for (let b = 0; b < batch.size; b++) {
          const t = Math.min(n, batch.lengths[b]!) - 1;
          const row = c[packedRow(packed, packed.rank[b]!, t)]!;
          row.forEach((v, j) => assert.ok(Math.abs(v - rows[b]![j]!) < 1e-5, `sequence ${b} after event ${t}: ${v} vs ${rows[b]![j]}`));
        }
      }
      m.dispose();
    });
  }

  it('refuses a Transformer and a bidirectional RNN, naming the option', () => {
    const packed = model({}).pack(randomBatch(2, [3, 2]));
    for (const [options, pattern] of [[{ encoder: 'transformer' }, /`encoder` 'gru' or 'lstm', got 'transformer'/], [{ bidirectional: true }, /`bidirectional`/]] as const) {
      const m = model(options);
      assert.throws(() => tf.tidy(() => void m.forwardEvents(packed, { training: false })), (e: unknown) => e instanceof ConfigError && pattern.test(e.message));
      m.dispose();
    }
  });
});

describe('cpcLossOf', () => {
  it('a few Adam steps lower the CPC loss of a fixed batch (GRU, K = 3, 6 negatives)', () => {
    const m = model({ encoder: 'gru' });
    const cpc = new CpcLoss({ context: m.width, event: m.eventWidth }, { steps: 3, negatives: 6, seed: 1 });
    const params = [...m.parameters().filter((p) => p.variable.trainable), ...cpc.parameters()];
    const adam = new Adam(params, 0.01);
    const packed = m.pack(randomBatch(4, [8, 6, 7, 5]));
    assert.ok(cpcHasSignal(packed));
    const variables = params.map((p) => p.variable);
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    for (let step = 0; step < 25; step++) {
      // Same seed every step: the same negatives, so the losses are comparable.
      const { value, grads } = tf.variableGrads(() => cpcLossOf(m, packed, cpc, new Rng(7)), variables);
      adam.apply(grads);
      losses.push(value.dataSync()[0]!);
      tf.dispose([value, grads]);
    }
    assert.equal(tf.memory().numTensors, before, 'tensors leaked by a CPC step');
    assert.ok(losses.every(Number.isFinite));
    assert.ok(losses.at(-1)! < 0.8 * losses[0]!, `loss ${losses[0]} -> ${losses.at(-1)}`);
    adam.dispose();
    cpc.dispose();
    m.dispose();
  });

  it('cpcHasSignal: false for one sequence or all lengths 1', () => {
    const m = model({});
    assert.equal(cpcHasSignal(m.pack(randomBatch(1, [5]))), false);
    assert.equal(cpcHasSignal(m.pack(randomBatch(1, [1, 1, 1]))), false);
    assert.equal(cpcHasSignal(m.pack(randomBatch(1, [1, 2]))), true);
    m.dispose();
  });
});
