/** Triplet and CosFace losses against loop references, edge cases and leak checks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { allTriplets } from '../mined-indices.js';
import { assertClose, FIXTURES, minedTriplets, toNaiveTriplets, valueAndGrad } from '../testing/fixtures.js';
import { naiveCosFace, naiveTriplet, naiveTripletsWhere, type NaiveTriplets } from '../testing/naive.js';
import { CosFaceLoss } from './cosface-loss.js';
import { TripletLoss, type TripletLossOptions } from './triplet-loss.js';

const VARIANTS: Partial<TripletLossOptions>[] = [
  { margin: 0.05 },
  { margin: 0.3, reduction: 'sum' },
  { margin: 0.3, reduction: 'mean' },
  { margin: 0.2, swap: true },
  { margin: 0.2, smooth: true, reduction: 'mean' },
];

function tripletValue(options: Partial<TripletLossOptions>, points: number[][], labels: number[], t?: NaiveTriplets): number {
  const loss = new TripletLoss(options);
  return valueAndGrad(points, (x) => loss.call(x, Int32Array.from(labels), t === undefined ? undefined : minedTriplets(t))).value;
}

function naiveFor(options: Partial<TripletLossOptions>, points: number[][], t: NaiveTriplets): number {
  return naiveTriplet(points, t, options.margin ?? 0.05, { swap: options.swap, smooth: options.smooth, reduction: options.reduction ?? 'avg-non-zero' });
}

describe('triplet loss', () => {
  for (const options of VARIANTS) {
    for (const { name, points, labels } of FIXTURES) {
      it(`${JSON.stringify(options)} matches the naive loop on ${name} embeddings (all triplets)`, () => {
        const t = toNaiveTriplets(allTriplets(Int32Array.from(labels)));
        assertClose(tripletValue(options, points, labels), naiveFor(options, points, t));
      });
      it(`${JSON.stringify(options)} matches the naive loop on ${name} embeddings (semihard triplets)`, () => {
        const t = naiveTripletsWhere(points, labels, (v) => v > 0 && v <= 0.5);
        assertClose(tripletValue(options, points, labels, t), naiveFor(options, points, t));
      });
    }
  }
  it('gives 0 with a finite gradient when there are no triplets (one client, or all labels distinct)', () => {
    const points = FIXTURES[1]!.points.slice(0, 4);
    assert.equal(tripletValue({}, points, [1, 1, 1, 1]), 0);
    assert.equal(tripletValue({}, points, [0, 1, 2, 3]), 0);
    assert.equal(tripletValue({}, [[1, 2]], [0]), 0);
  });
  it('has a finite gradient for identical embeddings', () => {
    const same = Array.from({ length: 4 }, () => [0.6, -0.8]);
    const { value } = valueAndGrad(same, (x) => new TripletLoss({ margin: 0.1 }).call(x, Int32Array.from([0, 0, 1, 1])));
    assertClose(value, 0.1);
  });
  it('handles a very large margin', () => {
    const { points, labels } = FIXTURES[1]!;
    const t = toNaiveTriplets(allTriplets(Int32Array.from(labels)));
    assertClose(tripletValue({ margin: 1e4 }, points, labels), naiveFor({ margin: 1e4 }, points, t));
  });
});

describe('CosFace loss', () => {
  const { points, labels } = FIXTURES[1]!;
  it('matches the naive loop with its own class weights', () => {
    const loss = new CosFaceLoss({ numClasses: 4, embeddingSize: 8, margin: 0.35, scale: 16, seed: 3 });
    const weights = loss.weights.arraySync();
    const { value } = valueAndGrad(points, (x) => loss.call(x, Int32Array.from(labels)));
    assertClose(value, naiveCosFace(points, weights, labels, 0.35, 16));
    loss.dispose();
  });
  it('trains its class weights: the loss falls after a few SGD steps on W only', () => {
    const loss = new CosFaceLoss({ numClasses: 4, embeddingSize: 8, scale: 8, seed: 1 });
    const x = tf.tensor2d(points);
    const y = Int32Array.from(labels);
    const first = loss.call(x, y);
    const optimizer = tf.train.sgd(0.5);
    for (let step = 0; step < 20; step++) optimizer.minimize(() => loss.call(x, y), false, loss.trainableVariables());
    const last = loss.call(x, y);
    assert.ok(last.dataSync()[0]! < first.dataSync()[0]! - 0.1, `loss ${first.dataSync()[0]} → ${last.dataSync()[0]}`);
    tf.dispose([x, first, last]);
    optimizer.dispose();
    loss.dispose();
  });
  it('stays finite with a huge scale and identical embeddings', () => {
    const loss = new CosFaceLoss({ numClasses: 2, embeddingSize: 2, scale: 1000, margin: 0.5 });
    const { value } = valueAndGrad([[1, 0], [1, 0]], (x) => loss.call(x, Int32Array.from([0, 1])));
    assert.ok(Number.isFinite(value));
    loss.dispose();
  });
  it('rejects labels outside its classes and wrong widths', () => {
    const loss = new CosFaceLoss({ numClasses: 2, embeddingSize: 2 });
    const x = tf.tensor2d([[1, 0]]);
    assert.throws(() => loss.call(x, Int32Array.from([2])), /label 2 is outside 0..1/);
    const wide = tf.tensor2d([[1, 0, 0]]);
    assert.throws(() => loss.call(wide, Int32Array.from([0])), /width 2, got 3/);
    tf.dispose([x, wide]);
    loss.dispose();
  });
});
