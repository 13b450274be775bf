/**
 * Pair losses against the loop-based references in `metric/testing/naive.ts` (1e-5), plus edge
 * cases: no valid pairs, identical embeddings, one client, very large margins; and leak checks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { CosineSimilarity } from '../distances/cosine-similarity.js';
import { EuclideanDistance } from '../distances/euclidean-distance.js';
import { assertClose, FIXTURES, minedPairs, valueAndGrad } from '../testing/fixtures.js';
import {
  euclidean,
  naiveAllPairs,
  naiveBinomialDeviance,
  naiveContrastive,
  naiveHardNegativePairs,
  naiveHistogram,
  naiveMargin,
  naiveMultiSimilarity,
  naiveNTXent,
  naivePmlContrastive,
  normalized,
  type NaivePairs,
} from '../testing/naive.js';
import type { BaseLoss } from './base-loss.js';
import { BinomialDevianceLoss } from './binomial-deviance-loss.js';
import { ContrastiveLoss } from './contrastive-loss.js';
import { HistogramLoss } from './histogram-loss.js';
import { MarginLoss } from './margin-loss.js';
import { MultiSimilarityLoss } from './multi-similarity-loss.js';
import { NTXentLoss } from './ntxent-loss.js';

interface Case {
  name: string;
  loss: () => BaseLoss;
  naive: (e: number[][], pairs: NaivePairs) => number;
  /** The pairs the loss uses when given none. */
  defaultPairs: (labels: number[]) => NaivePairs;
}

const unordered = (labels: number[]): NaivePairs => naiveAllPairs(labels);
const ordered = (labels: number[]): NaivePairs => naiveAllPairs(labels, true);

const CASES: Case[] = [
  { name: 'contrastive (lifestream, m=0.5)', loss: () => new ContrastiveLoss(), naive: (e, p) => naiveContrastive(e, p, 0.5), defaultPairs: unordered },
  { name: 'contrastive (lifestream, m=1.2)', loss: () => new ContrastiveLoss({ negMargin: 1.2 }), naive: (e, p) => naiveContrastive(e, p, 1.2), defaultPairs: unordered },
  {
    name: 'contrastive (PML, 0.1/0.9, normalised)',
    loss: () => new ContrastiveLoss({ posMargin: 0.1, negMargin: 0.9, squared: false, reduction: 'avg-non-zero' }, new EuclideanDistance({ normalizeEmbeddings: true })),
    naive: (e, p) => naivePmlContrastive(e, p, 0.1, 0.9, normalized(euclidean)),
    defaultPairs: unordered,
  },
  { name: 'margin (sum)', loss: () => new MarginLoss({ margin: 0.2, beta: 1.0 }), naive: (e, p) => naiveMargin(e, p, 0.2, 1.0, false), defaultPairs: unordered },
  {
    name: 'margin (avg-non-zero)',
    loss: () => new MarginLoss({ margin: 0.3, beta: 0.9, reduction: 'avg-non-zero' }),
    naive: (e, p) => naiveMargin(e, p, 0.3, 0.9, true),
    defaultPairs: unordered,
  },
  {
    name: 'binomial deviance',
    loss: () => new BinomialDevianceLoss({ alpha: 2, beta: 0.3, c: 1.5 }),
    naive: (e, p) => naiveBinomialDeviance(e, p, 2, 0.3, 1.5),
    defaultPairs: unordered,
  },
  { name: 'histogram (25 steps)', loss: () => new HistogramLoss({ numSteps: 25 }), naive: (e, p) => naiveHistogram(e, p, 25), defaultPairs: unordered },
  { name: 'histogram (100 steps)', loss: () => new HistogramLoss({ numSteps: 100 }), naive: (e, p) => naiveHistogram(e, p, 100), defaultPairs: unordered },
  {
    name: 'multi-similarity',
    loss: () => new MultiSimilarityLoss({ alpha: 2, beta: 10, base: 0.5 }),
    naive: (e, p) => naiveMultiSimilarity(e, p, 2, 10, 0.5),
    defaultPairs: ordered,
  },
  { name: 'NT-Xent (τ=0.1)', loss: () => new NTXentLoss({ temperature: 0.1 }), naive: (e, p) => naiveNTXent(e, p, 0.1), defaultPairs: ordered },
];

function lossValue(loss: BaseLoss, points: number[][], labels: number[], pairs?: NaivePairs): number {
  return valueAndGrad(points, (x) => loss.call(x, Int32Array.from(labels), pairs === undefined ? undefined : minedPairs(pairs))).value;
}

for (const c of CASES) {
  describe(c.name, () => {
    for (const { name, points, labels } of FIXTURES) {
      it(`matches the naive loop on ${name} embeddings with all pairs`, () => {
        assertClose(lossValue(c.loss(), points, labels), c.naive(points, c.defaultPairs(labels)));
      });
      it(`matches the naive loop on ${name} embeddings with hard-negative pairs`, () => {
        const pairs = naiveHardNegativePairs(points, labels, 2);
        assertClose(lossValue(c.loss(), points, labels, pairs), c.naive(points, pairs));
      });
    }
    it('gives 0 with a finite gradient when no pairs are mined', () => {
      const empty: NaivePairs = { a1: [], p: [], a2: [], n: [] };
      assert.equal(lossValue(c.loss(), FIXTURES[0]!.points, FIXTURES[0]!.labels, empty), 0);
    });
    it('gives 0 on a batch of one embedding', () => {
      assert.equal(lossValue(c.loss(), [[0.3, 0.4]], [0]), 0);
    });
    it('matches the naive loop on a batch of one client (no negatives)', () => {
      const points = FIXTURES[1]!.points.slice(0, 4);
      assertClose(lossValue(c.loss(), points, [5, 5, 5, 5]), c.naive(points, c.defaultPairs([5, 5, 5, 5])));
    });
    it('matches the naive loop when every label differs (no positives)', () => {
      const points = FIXTURES[1]!.points.slice(0, 4);
      assertClose(lossValue(c.loss(), points, [0, 1, 2, 3]), c.naive(points, c.defaultPairs([0, 1, 2, 3])));
    });
    it('has a finite gradient for identical embeddings (distance 0)', () => {
      const same = Array.from({ length: 4 }, () => [0.6, -0.8, 0.1]);
      const { value } = valueAndGrad(same, (x) => c.loss().call(x, Int32Array.from([0, 0, 1, 1])));
      assert.ok(Number.isFinite(value));
    });
  });
}

describe('very large margins and scales', () => {
  const points = FIXTURES[1]!.points;
  const labels = FIXTURES[1]!.labels;
  const pairs = naiveAllPairs(labels);
  it('contrastive with margin 1000 matches the naive loop', () => {
    assertClose(lossValue(new ContrastiveLoss({ negMargin: 1000 }), points, labels), naiveContrastive(points, pairs, 1000));
  });
  it('margin loss with α = 100, β = 100 matches the naive loop', () => {
    assertClose(lossValue(new MarginLoss({ margin: 100, beta: 100 }), points, labels), naiveMargin(points, pairs, 100, 100, false));
  });
  it('multi-similarity with β = 500 stays finite and matches', () => {
    const all = naiveAllPairs(labels, true);
    assertClose(lossValue(new MultiSimilarityLoss({ alpha: 50, beta: 500, base: 0.5 }), points, labels), naiveMultiSimilarity(points, all, 50, 500, 0.5), 1e-4);
  });
  it('NT-Xent with τ = 0.005 stays finite and matches', () => {
    const all = naiveAllPairs(labels, true);
    assertClose(lossValue(new NTXentLoss({ temperature: 0.005 }), points, labels), naiveNTXent(points, all, 0.005), 1e-4);
  });
  it('binomial deviance with α = 200 stays finite and matches', () => {
    assertClose(lossValue(new BinomialDevianceLoss({ alpha: 200, beta: 0.3 }), points, labels), naiveBinomialDeviance(points, pairs, 200, 0.3, 1), 1e-4);
  });
});

describe('distance checks', () => {
  it('contrastive and margin losses refuse similarities', () => {
    assert.throws(() => new ContrastiveLoss({}, new CosineSimilarity()), /needs a distance/);
    assert.throws(() => new MarginLoss({}, new CosineSimilarity()), /needs a distance/);
  });
  it('histogram and binomial deviance refuse distances', () => {
    assert.throws(() => new HistogramLoss({}, new EuclideanDistance()), /needs a similarity/);
    assert.throws(() => new BinomialDevianceLoss({}, new EuclideanDistance()), /needs a similarity/);
  });
  it('rejects bad options with the house message', () => {
    assert.throws(() => new ContrastiveLoss({ negMargin: -1 }), /Expected `negMargin` to be a finite number >= 0, got `-1` \(number\)/);
    assert.throws(() => new HistogramLoss({ numSteps: 1 }), /Expected `numSteps` to be an integer >= 2/);
    assert.throws(() => new NTXentLoss({ temperature: 0 }), /Expected `temperature`/);
  });
  it('rejects embeddings that are not 2-D or labels of the wrong length', () => {
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    assert.throws(() => new ContrastiveLoss().call(x, Int32Array.from([0])), /labels must have one entry per embedding row: expected 2, got 1/);
    x.dispose();
  });
});
