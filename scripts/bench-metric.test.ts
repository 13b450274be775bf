/**
 * The metric library on the backend the benchmark measures (wasm, started through
 * `encoders/backend.ts`, which adds the gather gradient): every loss kind with its usual miner
 * agrees with the loop references, has finite gradients and leaks no tensors.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../encoders/backend.js';
import { createLoss } from '../metric/create-loss.js';
import { assertClose, FIXTURES, minedPairs, minedTriplets, valueAndGrad } from '../metric/testing/fixtures.js';
import {
  naiveAllPairs,
  naiveContrastive,
  naiveHardNegativePairs,
  naiveMargin,
  naiveMultiSimilarity,
  naiveNTXent,
  naiveTriplet,
  naiveTripletsWhere,
} from '../metric/testing/naive.js';

describe('metric library on the wasm backend', () => {
  before(async () => {
    assert.equal(await initBackend('wasm', { quiet: true }), 'wasm');
  });
  const { points, labels } = FIXTURES[1]!;
  const y = Int32Array.from(labels);
  it('runs on wasm', () => assert.equal(tf.getBackend(), 'wasm'));
  it('contrastive + hard negatives (MeLES default) matches the loop', () => {
    const pairs = naiveHardNegativePairs(points, labels, 5);
    const { value } = valueAndGrad(points, (x) => createLoss({ kind: 'contrastive', margin: 0.9 }, { kind: 'hard-negative', negCount: 5 }).call(x, y));
    assertClose(value, naiveContrastive(points, pairs, 0.9));
  });
  it('margin loss matches the loop', () => {
    const pairs = naiveAllPairs(labels);
    assertClose(valueAndGrad(points, (x) => createLoss({ kind: 'margin', beta: 1 }).call(x, y, minedPairs(pairs))).value, naiveMargin(points, pairs, 0.2, 1, false));
  });
  it('triplet loss (gather gradient) matches the loop', () => {
    const t = naiveTripletsWhere(points, labels, () => true);
    const { value } = valueAndGrad(points, (x) => createLoss({ kind: 'triplet', margin: 0.3, reduction: 'sum' }).call(x, y, minedTriplets(t)));
    assertClose(value, naiveTriplet(points, t, 0.3, { reduction: 'sum' }));
  });
  it('multi-similarity and NT-Xent match the loop', () => {
    const ordered = naiveAllPairs(labels, true);
    assertClose(valueAndGrad(points, (x) => createLoss({ kind: 'multi-similarity' }).call(x, y)).value, naiveMultiSimilarity(points, ordered, 2, 50, 0.5), 1e-4);
    assertClose(valueAndGrad(points, (x) => createLoss({ kind: 'ntxent' }).call(x, y)).value, naiveNTXent(points, ordered, 0.07), 1e-4);
  });
  it('every other kind gives finite values and gradients with its miner', () => {
    for (const [loss, miner] of [
      [{ kind: 'binomial-deviance' }, { kind: 'all-pairs', balance: true }],
      [{ kind: 'histogram', numSteps: 25 }, { kind: 'distance-weighted' }],
      [{ kind: 'triplet' }, { kind: 'batch-hard' }],
      [{ kind: 'pml-contrastive' }, { kind: 'triplet-margin', type: 'semihard' }],
    ] as const) {
      valueAndGrad(points, (x) => createLoss(loss, miner).call(x, y));
    }
  });
});
