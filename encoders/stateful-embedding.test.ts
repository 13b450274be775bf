import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../data/random.js';
import { ConfigError } from '../errors.js';
import { initBackend } from './backend.js';
import { buildEncoderConfig, type EncoderOptions, resolveEncoderOptions } from './encoder-config.js';
import type { EventBatch } from './packed-batch.js';
import { type RecurrentStates, SequenceModel } from './sequence-model.js';

const FEATURES = { categorical: [{ name: 'mcc', vocabularySize: 12 }], numeric: ['amount'] };

/** Random events per sequence, as plain arrays (so tests can cut them into a head and a tail). */
function randomEvents(seed: number, lengths: number[]): { mcc: number[]; amount: number[] }[] {
  const rng = new Rng(seed);
  return lengths.map((len) => ({
    mcc: Array.from({ length: len }, () => rng.int(1, 11)),
    amount: Array.from({ length: len }, () => rng.normal()),
  }));
}

function batchOf(seqs: { mcc: number[]; amount: number[] }[]): EventBatch {
  const stride = Math.max(...seqs.map((s) => s.mcc.length));
  const cat = new Int32Array(seqs.length * stride);
  const amt = new Float32Array(seqs.length * stride);
  seqs.forEach((s, b) => {
    cat.set(s.mcc, b * stride);
    amt.set(s.amount, b * stride);
  });
  return { size: seqs.length, maxLength: stride, lengths: Int32Array.from(seqs, (s) => s.mcc.length), categorical: { mcc: cat }, numeric: { amount: amt } };
}

function model(options: Partial<EncoderOptions>): SequenceModel {
  return new SequenceModel(buildEncoderConfig(resolveEncoderOptions({ hidden: 8, categoricalDim: 3, ...options }), FEATURES), 5);
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('SequenceModel.embedWithState', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
  });

  const cases: [string, Partial<EncoderOptions>][] = [
    ['GRU, 1 layer', { encoder: 'gru', layers: 1 }],
    ['GRU, 2 layers', { encoder: 'gru', layers: 2 }],
    ['GRU without learnable start', { encoder: 'gru', layers: 1, learnableInitialState: false }],
    ['LSTM, 2 layers', { encoder: 'lstm', layers: 2 }],
  ];
  for (const [name, options] of cases) {
    it(`${name}: from the start state equals embed(); head then tail equals the whole sequence; no leaked tensors`, () => {
      const m = model(options);
      const lengths = [7, 3, 12, 1, 5];
      const whole = randomEvents(11, lengths);
      const cut = [4, 1, 11, 0, 5]; // events in the head; the tail has the rest (sequence 4 has no tail)
      const full = m.embed(batchOf(whole));
      const expected = full.dataSync() as Float32Array;
      full.dispose();
      const before = tf.memory().numTensors;
      const plain = m.embedWithState(batchOf(whole));
      assert.ok(maxDiff(plain.embeddings, expected) < 1e-6, 'start state path = embed()');
      // Head: sequences with >= 1 head event; the rest start from the start state in the tail batch.
      const headRows = lengths.map((_, b) => b).filter((b) => cut[b]! > 0);
      const head = m.embedWithState(batchOf(headRows.map((b) => ({ mcc: whole[b]!.mcc.slice(0, cut[b]), amount: whole[b]!.amount.slice(0, cut[b]) }))));
      const tailRows = lengths.map((_, b) => b).filter((b) => cut[b]! < lengths[b]!);
      const shape = m.stateShape();
      const start = m.startStates(1);
      const initial: RecurrentStates = {
        layers: head.states.layers.map((layer, l) => layer.map((values, k) => {
          const out = new Float32Array(tailRows.length * shape.hidden);
          tailRows.forEach((b, r) => {
            const h = headRows.indexOf(b);
            out.set(h >= 0 ? values.subarray(h * shape.hidden, (h + 1) * shape.hidden) : start.layers[l]![k]!, r * shape.hidden);
          });
          return out;
        })),
      };
      const tail = m.embedWithState(batchOf(tailRows.map((b) => ({ mcc: whole[b]!.mcc.slice(cut[b]), amount: whole[b]!.amount.slice(cut[b]) }))), initial);
      assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
      for (let b = 0; b < lengths.length; b++) {
        const t = tailRows.indexOf(b);
        const got = t >= 0 ? tail.embeddings.subarray(t * 8, t * 8 + 8) : head.embeddings.subarray(headRows.indexOf(b) * 8, headRows.indexOf(b) * 8 + 8);
        assert.ok(maxDiff(got, expected.subarray(b * 8, b * 8 + 8)) < 1e-5, `sequence ${b}`);
      }
      assert.equal(tail.states.layers.length, shape.layers);
      assert.equal(tail.states.layers[0]!.length, shape.components);
      m.dispose();
    });
  }

  it('refuses a bidirectional RNN and a Transformer with the reason', () => {
    const bi = model({ encoder: 'gru', bidirectional: true });
    assert.throws(() => bi.embedWithState(batchOf(randomEvents(1, [3]))), (e: unknown) => e instanceof ConfigError && /bidirectional.*reverse direction/.test(e.message));
    bi.dispose();
    const tr = model({ encoder: 'transformer', heads: 2 });
    assert.throws(() => tr.stateShape(), (e: unknown) => e instanceof ConfigError && /'transformer'.*self-attention/.test(e.message));
    tr.dispose();
  });
});
