/**
 * Fixtures of the model tests (sequence-model, fused-recurrence, CPC): a small event table with one
 * categorical column `mcc` (12 values, ids 1…11 drawn) and one numeric column `amount`, seeded
 * random batches of it, and small models over it.
 */
import { Rng } from '../data/random.js';
import { buildEncoderConfig, type EncoderOptions, type FeatureSpec, resolveEncoderOptions } from './encoder-config.js';
import type { EventBatch } from './packed-batch.js';
import { SequenceModel } from './sequence-model.js';

/** The columns of the test batches. */
export const TEST_FEATURES: FeatureSpec = { categorical: [{ name: 'mcc', vocabularySize: 12 }], numeric: ['amount'] };

/**
 * A seeded batch of sequences with these lengths (normal amounts, mcc ids 1…11), padded to `stride`.
 * @param stride - row length of the padded arrays @defaultValue the longest length
 */
export function randomBatch(seed: number, lengths: number[], stride = Math.max(...lengths)): EventBatch {
  const rng = new Rng(seed);
  const cat = new Int32Array(lengths.length * stride);
  const amt = new Float32Array(lengths.length * stride);
  lengths.forEach((len, b) => {
    for (let t = 0; t < len; t++) {
      cat[b * stride + t] = rng.int(1, 11);
      amt[b * stride + t] = rng.normal();
    }
  });
  return { size: lengths.length, maxLength: stride, lengths: Int32Array.from(lengths), categorical: { mcc: cat }, numeric: { amount: amt } };
}

/**
 * A small model over {@link TEST_FEATURES}: hidden size 8, categorical embeddings of 3, then `options`.
 * @param seed - weight initialisation seed @defaultValue 3
 */
export function testModel(options: Partial<EncoderOptions>, seed = 3): SequenceModel {
  return new SequenceModel(buildEncoderConfig(resolveEncoderOptions({ hidden: 8, categoricalDim: 3, ...options }), TEST_FEATURES), seed);
}
