import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../data/random.js';
import { ConfigError, ShapeError } from '../../errors.js';
import { Booster, LightGBMError, trainBooster } from './index.js';
import { toParamString, resolveLightGBMParams } from './params.js';

/** rows × cols uniform features; class depends on the first two columns only. */
function synthetic(rows: number, cols: number, classes: number, seed: number, noise = 0) {
  const rng = new Rng(seed);
  const X = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) X[i * cols + j] = rng.next();
    const s = X[i * cols]! + X[i * cols + 1]! + noise * rng.normal();
    y[i] = Math.min(classes - 1, Math.max(0, Math.floor((s / 2) * classes)));
  }
  return { X, y };
}

function accuracy(pred: Float64Array, y: Float64Array, classes: number): number {
  let hits = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    if (classes === 1) best = pred[i]! > 0.5 ? 1 : 0;
    else for (let k = 1; k < classes; k++) if (pred[i * classes + k]! > pred[i * classes + best]!) best = k;
    if (best === y[i]) hits++;
  }
  return hits / y.length;
}

describe('LightGBM binding', () => {
  it('trains a binary model that separates separable data', () => {
    const { X, y } = synthetic(2000, 6, 2, 1);
    const { booster, bestIteration } = trainBooster(X, 2000, 6, y, { objective: 'binary' }, { numIterations: 30 });
    assert.equal(bestIteration, 30);
    assert.equal(booster.numClasses, 1);
    const test = synthetic(500, 6, 2, 2);
    const pred = booster.predict(test.X, 500, 6);
    assert.equal(pred.length, 500);
    assert.ok(pred.every((p) => p >= 0 && p <= 1));
    assert.ok(accuracy(pred, test.y, 1) > 0.95, `accuracy ${accuracy(pred, test.y, 1)}`);
    const gain = booster.featureImportance('gain');
    const split = booster.featureImportance('split');
    assert.equal(gain.length, 6);
    // Only columns 0 and 1 carry signal, so they must dominate the gain.
    assert.ok(gain[0]! + gain[1]! > 0.9 * gain.reduce((a, b) => a + b, 0));
    assert.ok(split.every((s) => Number.isInteger(s)));
    booster.free();
  });

  it('returns row-major rows × classes probabilities for multiclass, and float32 input works', () => {
    const { X, y } = synthetic(1500, 4, 4, 3);
    const X32 = Float32Array.from(X);
    const { booster } = trainBooster(X32, 1500, 4, y, { objective: 'multiclass', numClass: 4 }, { numIterations: 40 });
    assert.equal(booster.numClasses, 4);
    const pred = booster.predict(X32, 1500, 4);
    assert.equal(pred.length, 1500 * 4);
    for (let i = 0; i < 1500; i++) {
      const sum = pred[i * 4]! + pred[i * 4 + 1]! + pred[i * 4 + 2]! + pred[i * 4 + 3]!;
      assert.ok(Math.abs(sum - 1) < 1e-9);
    }
    assert.ok(accuracy(pred, y, 4) > 0.85);
    booster.free();
  });

  it('fits a regression and keeps NaN features as missing values', () => {
    const rng = new Rng(4);
    const rows = 1000;
    const X = new Float64Array(rows * 2);
    const y = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      X[i * 2] = rng.next();
      X[i * 2 + 1] = i % 10 === 0 ? NaN : rng.next();
      y[i] = 3 * X[i * 2]!;
    }
    const { booster } = trainBooster(X, rows, 2, y, { objective: 'regression' }, { numIterations: 50 });
    const pred = booster.predict(X, rows, 2);
    let se = 0;
    for (let i = 0; i < rows; i++) se += (pred[i]! - y[i]!) ** 2;
    assert.ok(se / rows < 0.01, `mse ${se / rows}`);
    booster.free();
  });

  it('round-trips through saveToString/loadFromString with identical predictions', () => {
    const { X, y } = synthetic(800, 5, 3, 5, 0.3);
    const { booster } = trainBooster(X, 800, 5, y, { objective: 'multiclass', numClass: 3 }, { numIterations: 20 });
    const text = booster.saveToString();
    assert.match(text, /^tree\n/);
    assert.match(text, /num_class=3/);
    const loaded = Booster.loadFromString(text);
    assert.deepEqual(loaded.predict(X, 800, 5), booster.predict(X, 800, 5));
    assert.equal(loaded.saveToString(), text);
    assert.equal(loaded.currentIteration, 20);
    booster.free();
    loaded.free();
  });

  it('stops early on a validation set and keeps the best iteration only', () => {
    const train = synthetic(600, 5, 2, 6, 0.8);
    const valid = synthetic(300, 5, 2, 7, 0.8);
    const { booster, bestIteration, validScores } = trainBooster(
      train.X, 600, 5, train.y,
      { objective: 'binary', metric: 'binary_logloss', learningRate: 0.3, minDataInLeaf: 2 },
      { numIterations: 300, valid: { X: valid.X, rows: 300, y: valid.y }, earlyStoppingRounds: 10 },
    );
    assert.ok(bestIteration < 300, `best ${bestIteration}`);
    assert.equal(validScores.length, bestIteration + 10);
    const bestScore = Math.min(...validScores);
    assert.equal(validScores[bestIteration - 1], bestScore);
    assert.equal(booster.currentIteration, bestIteration);
    booster.free();
  });

  it('surfaces LightGBM and input errors as JS errors', () => {
    assert.throws(() => Booster.loadFromString('not a model'), LightGBMError);
    const { X, y } = synthetic(50, 2, 2, 8);
    assert.throws(() => trainBooster(X, 50, 3, y, { objective: 'binary' }, { numIterations: 1 }), ShapeError);
    assert.throws(
      () => trainBooster(X, 50, 2, y.map((v) => v + 1), { objective: 'binary' }, { numIterations: 1 }),
      { name: 'ConfigError', message: /Label \d+ must be 0 or 1 for objective `binary`, got `2`/ },
    );
    assert.throws(() => trainBooster(X, 50, 2, y, { objective: 'multiclass' }, { numIterations: 1 }), {
      message: /Expected `numClass` to be an integer >= 2, got `1` \(number\)/,
    });
    assert.throws(() => trainBooster(X, 50, 2, y, { objective: 'binary' }, { numIterations: 1, earlyStoppingRounds: 3 }), ConfigError);
    const { booster } = trainBooster(X, 50, 2, y, { objective: 'binary', minDataInLeaf: 1 }, { numIterations: 2 });
    assert.throws(() => booster.predict(X, 25, 4), /expects 2 features/);
    booster.free();
    booster.free();
    assert.throws(() => booster.predict(X, 50, 2), /already freed/);
  });

  it('converts typed params into LightGBM key=value pairs', () => {
    const s = toParamString(resolveLightGBMParams({ objective: 'multiclass', numClass: 4, learningRate: 0.02, lambdaL1: 1 }));
    assert.match(s, /objective=multiclass/);
    assert.match(s, /num_class=4/);
    assert.match(s, /learning_rate=0.02/);
    assert.match(s, /lambda_l1=1/);
    assert.match(s, /verbosity=-1/);
    assert.throws(() => resolveLightGBMParams({ objective: 'binary', featureFraction: 0 }), {
      name: 'ConfigError', message: 'Expected `featureFraction` to be a finite number in (0, 1], got `0` (number)',
    });
    assert.throws(() => resolveLightGBMParams({ objective: 'binary', learningRate: -1 }), /`learningRate` to be a finite number > 0, got `-1`/);
    assert.throws(() => resolveLightGBMParams({ objective: 'binary', metric: 'multi_error' }), /metric/);
  });

  it('frees native handles: 1,000 trainings without RSS growth', () => {
    const { X, y } = synthetic(200, 5, 2, 9);
    const once = () => {
      const { booster } = trainBooster(X, 200, 5, y, { objective: 'binary', minDataInLeaf: 5 }, {
        numIterations: 3, valid: { X, rows: 200, y }, earlyStoppingRounds: 2,
      });
      booster.predict(X, 200, 5);
      booster.saveToString();
      booster.free();
    };
    for (let i = 0; i < 100; i++) once();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 1000; i++) once();
    const growth = (process.memoryUsage().rss - before) / 2 ** 20;
    // A leaked Dataset + Booster pair is ~100 kB here, so 1,000 leaks would add ~100 MB.
    assert.ok(growth < 20, `RSS grew by ${growth.toFixed(1)} MB`);
  });
});
