/**
 * Gradients of the tensor losses (tfjs autodiff, float32) against central finite differences of
 * the loop references (float64), with the mined indices held fixed.
 */
import { describe, it } from 'node:test';
import { assertGradClose, FIXTURES, minedPairs, minedTriplets, valueAndGrad } from '../testing/fixtures.js';
import {
  naiveAllPairs,
  naiveBinomialDeviance,
  naiveContrastive,
  naiveHardNegativePairs,
  naiveHistogram,
  naiveMargin,
  naiveMultiSimilarity,
  naiveNTXent,
  naiveTriplet,
  naiveTripletsWhere,
  numericGradient,
} from '../testing/naive.js';
import type { MinedIndices } from '../mined-indices.js';
import type { BaseLoss } from './base-loss.js';
import { BinomialDevianceLoss } from './binomial-deviance-loss.js';
import { ContrastiveLoss } from './contrastive-loss.js';
import { HistogramLoss } from './histogram-loss.js';
import { MarginLoss } from './margin-loss.js';
import { MultiSimilarityLoss } from './multi-similarity-loss.js';
import { NTXentLoss } from './ntxent-loss.js';
import { TripletLoss } from './triplet-loss.js';

function check(loss: BaseLoss, points: number[][], labels: number[], mined: MinedIndices, naive: (e: number[][]) => number): void {
  const { grad } = valueAndGrad(points, (x) => loss.call(x, Int32Array.from(labels), mined));
  assertGradClose(grad, numericGradient(naive, points));
}

describe('gradients match finite differences', () => {
  for (const { name, points, labels } of FIXTURES) {
    const hard = naiveHardNegativePairs(points, labels, 2);
    const all = naiveAllPairs(labels);
    const ordered = naiveAllPairs(labels, true);
    it(`contrastive (hard negatives, m=0.9) on ${name}`, () => {
      check(new ContrastiveLoss({ negMargin: 0.9 }), points, labels, minedPairs(hard), (e) => naiveContrastive(e, hard, 0.9));
    });
    it(`triplet (all triplets, m=0.3) on ${name}`, () => {
      const t = naiveTripletsWhere(points, labels, () => true);
      check(new TripletLoss({ margin: 0.3, reduction: 'sum' }), points, labels, minedTriplets(t), (e) =>
        naiveTriplet(e, t, 0.3, { reduction: 'sum' }),
      );
    });
    it(`triplet (swap, soft-plus) on ${name}`, () => {
      const t = naiveTripletsWhere(points, labels, () => true);
      check(new TripletLoss({ margin: 0.1, swap: true, smooth: true, reduction: 'mean' }), points, labels, minedTriplets(t), (e) =>
        naiveTriplet(e, t, 0.1, { swap: true, smooth: true, reduction: 'mean' }),
      );
    });
    it(`margin (α=0.3, β=0.9) on ${name}`, () => {
      check(new MarginLoss({ margin: 0.3, beta: 0.9 }), points, labels, minedPairs(all), (e) => naiveMargin(e, all, 0.3, 0.9, false));
    });
    it(`multi-similarity on ${name}`, () => {
      check(new MultiSimilarityLoss({ alpha: 2, beta: 10, base: 0.5 }), points, labels, minedPairs(ordered), (e) =>
        naiveMultiSimilarity(e, ordered, 2, 10, 0.5),
      );
    });
    it(`NT-Xent on ${name}`, () => {
      check(new NTXentLoss({ temperature: 0.2 }), points, labels, minedPairs(ordered), (e) => naiveNTXent(e, ordered, 0.2));
    });
    it(`binomial deviance on ${name}`, () => {
      check(new BinomialDevianceLoss({ alpha: 2, beta: 0.3 }), points, labels, minedPairs(all), (e) => naiveBinomialDeviance(e, all, 2, 0.3, 1));
    });
    it(`histogram (25 steps) on ${name}`, () => {
      check(new HistogramLoss({ numSteps: 25 }), points, labels, minedPairs(all), (e) => naiveHistogram(e, all, 25));
    });
  }
});
