/** Miners: hand-computed indices on a 1-D example, brute-force agreement, randomised miners' statistics. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../data/random.js';
import { CosineSimilarity } from '../distances/cosine-similarity.js';
import { ContrastiveLoss } from '../losses/contrastive-loss.js';
import type { MinedIndices } from '../mined-indices.js';
import { FIXTURES, toNaivePairs, toNaiveTriplets } from '../testing/fixtures.js';
import { angleToCoord, cosine, naiveBatchHard, naiveHardNegativePairs, naiveTripletsWhere } from '../testing/naive.js';
import { AllPairsMiner } from './all-pairs-miner.js';
import type { BaseMiner } from './base-miner.js';
import { BatchHardMiner } from './batch-hard-miner.js';
import { DistanceWeightedMiner } from './distance-weighted-miner.js';
import { HardNegativePairMiner, positivePairs } from './hard-negative-pair-miner.js';
import { HardTripletMiner } from './hard-triplet-miner.js';
import { RandomNegativeMiner } from './random-negative-miner.js';
import { TripletMarginMiner, type TripletType } from './triplet-margin-miner.js';

// 1-D points: distances are small integers, worked out by hand in the expectations below.
const LINE = [[0], [2], [3], [7], [4]];
const LINE_LABELS = Int32Array.from([0, 0, 1, 1, 2]);

function mine(miner: BaseMiner, points: number[][], labels: Int32Array): MinedIndices {
  const x = tf.tensor2d(points);
  const before = tf.memory().numTensors;
  const mined = miner.mine(x, labels);
  assert.equal(tf.memory().numTensors, before, 'miner leaked tensors');
  x.dispose();
  return mined;
}

function tripletSet(t: { a: ArrayLike<number>; p: ArrayLike<number>; n: ArrayLike<number> }): string[] {
  return Array.from(t.a, (a, i) => `${a},${t.p[i]},${t.n[i]}`).sort();
}

describe('hard negative pair miner', () => {
  it('picks all positives i < j and the negCount closest negatives per anchor, rank-major (hand-computed)', () => {
    const pairs = toNaivePairs(mine(new HardNegativePairMiner({ negCount: 2 }), LINE, LINE_LABELS));
    assert.deepEqual(pairs.a1, [0, 2]);
    assert.deepEqual(pairs.p, [1, 3]);
    assert.deepEqual(pairs.a2, [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    assert.deepEqual(pairs.n, [2, 2, 1, 4, 2, 4, 4, 4, 1, 1]);
  });
  it('gives only the available negatives when there are fewer than negCount', () => {
    const pairs = toNaivePairs(mine(new HardNegativePairMiner({ negCount: 5 }), LINE, LINE_LABELS));
    assert.equal(pairs.a2.length, 3 + 3 + 3 + 3 + 4);
    pairs.a2.forEach((a, i) => assert.notEqual(LINE_LABELS[a], LINE_LABELS[pairs.n[i]!]));
  });
  it('agrees with a brute-force sort on random embeddings', () => {
    const { points, labels } = FIXTURES[1]!;
    assert.deepEqual(toNaivePairs(mine(new HardNegativePairMiner({ negCount: 3 }), points, Int32Array.from(labels))), naiveHardNegativePairs(points, labels, 3));
  });
  it('ranks by similarity (largest first) with an inverted distance', () => {
    const { points, labels } = FIXTURES[1]!;
    const expected = naiveHardNegativePairs(points, labels, 2, (x, y) => -cosine(x, y));
    assert.deepEqual(toNaivePairs(mine(new HardNegativePairMiner({ negCount: 2 }, new CosineSimilarity()), points, Int32Array.from(labels))), expected);
  });
  it('does not propagate gradients: mining inside the loss equals passing the same indices', () => {
    const { points, labels } = FIXTURES[1]!;
    const y = Int32Array.from(labels);
    const x = tf.tensor2d(points);
    const miner = new HardNegativePairMiner({ negCount: 2 });
    const mined = miner.mine(x, y);
    const withMiner = tf.grad((t: tf.Tensor) => new ContrastiveLoss({}, undefined, miner).call(t as tf.Tensor2D, y))(x);
    const withIndices = tf.grad((t: tf.Tensor) => new ContrastiveLoss().call(t as tf.Tensor2D, y, mined))(x);
    assert.deepEqual(withMiner.arraySync(), withIndices.arraySync());
    tf.dispose([x, withMiner, withIndices]);
  });
  it('lists positive pairs in double-loop order (i, then j > i) for shuffled, repeated and single labels', () => {
    const rng = new Rng(4);
    for (const size of [1, 2, 7, 40]) {
      const labels = Int32Array.from({ length: size }, () => rng.int(-2, 5));
      const a1: number[] = [];
      const p: number[] = [];
      for (let i = 0; i < size; i++) for (let j = i + 1; j < size; j++) if (labels[i] === labels[j]) (a1.push(i), p.push(j));
      const got = positivePairs(labels, size);
      assert.deepEqual([...got.a1], a1, `a1, size ${size}`);
      assert.deepEqual([...got.p], p, `p, size ${size}`);
    }
  });
  it('rejects negCount 0', () => {
    assert.throws(() => new HardNegativePairMiner({ negCount: 0 }), /Expected `negCount` to be an integer >= 1, got `0` \(number\)/);
  });
});

describe('batch-hard miner', () => {
  it('picks the farthest positive and the closest negative (hand-computed; anchors without positives skipped)', () => {
    assert.deepEqual(toNaiveTriplets(mine(new BatchHardMiner(), LINE, LINE_LABELS)), { a: [0, 1, 2, 3], p: [1, 0, 3, 2], n: [2, 2, 1, 4] });
  });
  it('agrees with brute force on random embeddings', () => {
    const { points, labels } = FIXTURES[1]!;
    assert.deepEqual(toNaiveTriplets(mine(new BatchHardMiner(), points, Int32Array.from(labels))), naiveBatchHard(points, labels));
  });
});

describe('triplet margin miner (margin 1.5, PML definitions)', () => {
  const expected: Record<TripletType, string[]> = {
    all: ['0,1,2', '1,0,2', '1,0,4', '2,3,0', '2,3,1', '2,3,4', '3,2,1', '3,2,4'],
    hard: ['1,0,2', '1,0,4', '2,3,0', '2,3,1', '2,3,4', '3,2,4'],
    semihard: ['0,1,2', '3,2,1'],
    easy: ['0,1,3', '0,1,4', '1,0,3', '3,2,0'],
  };
  for (const type of ['all', 'hard', 'semihard', 'easy'] as const) {
    it(`type ${type} keeps the hand-computed triplets`, () => {
      assert.deepEqual(tripletSet(toNaiveTriplets(mine(new TripletMarginMiner({ margin: 1.5, type }), LINE, LINE_LABELS))), expected[type]);
    });
  }
  it('semihard agrees with brute force on random embeddings', () => {
    const { points, labels } = FIXTURES[1]!;
    const mined = toNaiveTriplets(mine(new TripletMarginMiner({ margin: 0.3, type: 'semihard' }), points, Int32Array.from(labels)));
    assert.deepEqual(tripletSet(mined), tripletSet(naiveTripletsWhere(points, labels, (t) => t > 0 && t <= 0.3)));
  });
});

describe('hard triplet miner', () => {
  it('crosses positive pairs i < j with the anchor’s closest negatives (hand-computed)', () => {
    assert.deepEqual(toNaiveTriplets(mine(new HardTripletMiner({ negCount: 1 }), LINE, LINE_LABELS)), { a: [0, 2], p: [1, 3], n: [2, 1] });
  });
});

describe('all-pairs miner', () => {
  it('returns every pair i < j without balance', () => {
    const pairs = toNaivePairs(mine(new AllPairsMiner(), LINE, LINE_LABELS));
    assert.equal(pairs.a1.length, 2);
    assert.equal(pairs.a2.length, 8);
  });
  it('balances negatives to the positive count, reproducibly per seed', () => {
    const first = toNaivePairs(mine(new AllPairsMiner({ balance: true }, new Rng(3)), LINE, LINE_LABELS));
    const again = toNaivePairs(mine(new AllPairsMiner({ balance: true }, new Rng(3)), LINE, LINE_LABELS));
    assert.equal(first.a2.length, 2);
    assert.deepEqual(first, again);
    first.a2.forEach((a, i) => assert.ok(a < first.n[i]! && LINE_LABELS[a] !== LINE_LABELS[first.n[i]!]));
  });
});

describe('random negative miner', () => {
  it('gives one valid negative per positive pair, each negative about equally often', () => {
    const miner = new RandomNegativeMiner(new Rng(11));
    const counts = new Map<number, number>();
    for (let round = 0; round < 600; round++) {
      const t = toNaiveTriplets(mine(miner, LINE, LINE_LABELS));
      assert.deepEqual([t.a, t.p], [[0, 2], [1, 3]]);
      assert.ok([2, 3, 4].includes(t.n[0]!) && [0, 1, 4].includes(t.n[1]!));
      counts.set(t.n[0]!, (counts.get(t.n[0]!) ?? 0) + 1);
    }
    // 600 draws over 3 values: 200 each, sd ≈ 11.5; 5 sd bounds.
    for (const n of [2, 3, 4]) assert.ok(Math.abs(counts.get(n)! - 200) < 58, `negative ${n} drawn ${counts.get(n)} times`);
  });
});

describe('distance-weighted miner', () => {
  // Unit vectors in 2-D: w ∝ sqrt(1 − d²/4) for d in [0.5, 1.4), 0 beyond.
  const angles = [0, 10, 40, 70, 100, 200];
  const points = angles.map((a) => angleToCoord(a));
  const labels = Int32Array.from([0, 0, 1, 2, 3, 4]);
  it('keeps all ordered positives and draws negatives in proportion to the inverse sphere density', () => {
    const miner = new DistanceWeightedMiner({}, new Rng(5));
    const counts = new Float64Array(points.length);
    let draws = 0;
    for (let round = 0; round < 400; round++) {
      const pairs = toNaivePairs(mine(miner, points, labels));
      assert.deepEqual([pairs.a1, pairs.p], [[0, 1], [1, 0]]);
      pairs.a2.forEach((a, i) => {
        if (a !== 0) return;
        counts[pairs.n[i]!]!++;
        draws++;
      });
    }
    const d = (j: number): number => Math.hypot(points[0]![0]! - points[j]![0]!, points[0]![1]! - points[j]![1]!);
    const weight = (j: number): number => (labels[j] === 0 || d(j) >= 1.4 ? 0 : Math.sqrt(1 - Math.max(d(j), 0.5) ** 2 / 4));
    const total = [2, 3, 4, 5].reduce((s, j) => s + weight(j), 0);
    for (const j of [2, 3, 4, 5]) {
      const expected = (draws * weight(j)) / total;
      assert.ok(Math.abs(counts[j]! - expected) < 5 * Math.sqrt(expected + 1), `row ${j}: ${counts[j]} draws, expected ≈ ${expected.toFixed(1)}`);
    }
    assert.equal(counts[4]! + counts[5]!, 0, 'negatives at d >= 1.4 must never be drawn');
  });
  it('falls back to uniform negatives when every negative is beyond the cutoff', () => {
    const far = [angleToCoord(0), angleToCoord(5), angleToCoord(180)];
    const pairs = toNaivePairs(mine(new DistanceWeightedMiner({}, new Rng(1)), far, Int32Array.from([0, 0, 1])));
    assert.deepEqual(pairs.n.slice(0, 2), [2, 2]);
  });
});
