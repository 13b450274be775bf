import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { Rng } from '../../data/random.js';
import { paramsFor } from './lightgbm-defaults.js';
import { FoldFitPool } from './fold-fit-pool.js';
import type { FoldFitTask } from './fold-fit.js';

/** A 3-class task on 300 rows of 4 columns; `seed` changes the data, so tasks differ. */
function task(seed: number, classes = 3): FoldFitTask {
  const rng = new Rng(seed);
  const rows = 300;
  const cols = 4;
  const X = Float64Array.from({ length: rows * cols }, () => rng.normal());
  const y = Int32Array.from({ length: rows }, (_, i) => (X[i * cols]! < -0.4 ? 0 : X[i * cols]! < 0.4 ? 1 : 2));
  return {
    params: paramsFor('multiclass', classes, { minDataInLeaf: 5 }, 7, 240), numIterations: 10, cols,
    trainX: X.slice(0, 240 * cols), trainY: y.slice(0, 240), heldX: X.slice(240 * cols, 280 * cols), testX: X.slice(280 * cols),
  };
}

describe('FoldFitPool', () => {
  it('fits on a worker thread exactly what the calling thread fits, each result in its own slot', async () => {
    const inline = new FoldFitPool(1);
    const threads = new FoldFitPool(3);
    try {
      await threads.ready(); // else the calling thread may fit them all before a thread has loaded
      const seeds = [1, 2, 3, 4, 5];
      const [a, b] = [await Promise.all(seeds.map((s) => inline.run(() => task(s)))), await Promise.all(seeds.map((s) => threads.run(() => task(s))))];
      for (let k = 0; k < seeds.length; k++) {
        assert.deepEqual(b[k]!.heldPred, a[k]!.heldPred, `task ${k}: held-out predictions`);
        assert.deepEqual(b[k]!.testPred, a[k]!.testPred, `task ${k}: test predictions`);
        assert.deepEqual(b[k]!.gain, a[k]!.gain, `task ${k}: gain`);
        assert.equal(a[k]!.heldPred.length, 40 * 3);
      }
      assert.notDeepEqual(a[0]!.heldPred, a[1]!.heldPred, 'different tasks, different models');
      assert.equal(inline.fitsOnThreads, 0);
      assert.ok(threads.fitsOnThreads >= 2, `${threads.fitsOnThreads} of 5 fits on the two worker threads`);
    } finally {
      await inline.close();
      await threads.close();
    }
  });

  it('rejects one fit with the error class and message thrown in its thread; the other fits go on', async () => {
    const pool = new FoldFitPool(2);
    try {
      await pool.ready();
      const bad = (): FoldFitTask => ({ ...task(1), params: paramsFor('multiclass', 2, { minDataInLeaf: 5 }, 7) }); // labels 0..2 with 2 classes
      // The first fit goes to the (ready) worker thread, the next ones to this thread.
      const results = await Promise.allSettled([pool.run(bad), pool.run(() => task(1)), pool.run(() => { throw new Error('no task'); }), pool.run(() => task(2))]);
      assert.equal(results[1]!.status, 'fulfilled');
      assert.equal(results[3]!.status, 'fulfilled');
      const failed = results[0] as PromiseRejectedResult;
      assert.equal(failed.status, 'rejected');
      assert.equal((failed.reason as Error).name, 'ConfigError');
      assert.match((failed.reason as Error).message, /label/i);
      assert.match(((results[2] as PromiseRejectedResult).reason as Error).message, /no task/);
    } finally {
      await pool.close();
    }
  });

  it('close() rejects what is still queued, is safe twice, and refuses new fits', async () => {
    const pool = new FoldFitPool(2);
    const settling = Promise.allSettled([1, 2, 3, 4, 5, 6].map((s) => pool.run(() => task(s))));
    await pool.close();
    await pool.close();
    const settled = await settling;
    assert.ok(settled.some((r) => r.status === 'rejected' && /closed/.test((r.reason as Error).message)));
    await assert.rejects(pool.run(() => task(1)), /closed/);
  });

  it('close() while a thread is still loading LightGBM waits for it to end instead of killing it mid-load', async () => {
    const pool = new FoldFitPool(3);
    const loading = assert.rejects(pool.ready(), /closed before its threads had loaded/);
    const started = performance.now();
    await pool.close();
    await loading;
    assert.ok(performance.now() - started > 20, 'close() waited for the threads to load and end');
    await assert.rejects(pool.run(() => task(1)), /closed/);
  });

  it('fits in the calling thread alone while fits are quick: no thread is started for a small evaluation', async () => {
    const pool = new FoldFitPool(2);
    try {
      await Promise.all([1, 2, 3, 4, 5, 6].map((s) => pool.run(() => task(s))));
      assert.equal(pool.fitsOnThreads, 0);
    } finally {
      await pool.close();
    }
  });

  it('hands fits worth a thread (by their size) to worker threads, and they all run there', async () => {
    const pool = new FoldFitPool(2);
    try {
      // 240 rows × 4 columns × 7000 iterations × 3 classes = 2.0e7: the size worth a thread.
      const heavy = (seed: number): FoldFitTask => ({ ...task(seed), numIterations: 7000 });
      const results = await Promise.all([1, 2, 3].map((s) => pool.run(() => heavy(s))));
      assert.equal(pool.fitsOnThreads, 3);
      assert.equal(results[0]!.heldPred.length, 40 * 3);
    } finally {
      await pool.close();
    }
  });

  it('memoize: an equal task, queued again or while the first still runs, gets that result without a second fit', async () => {
    const plain = new FoldFitPool(1);
    const pool = new FoldFitPool(1, { memoize: true });
    try {
      const expected = await plain.run(() => task(11));
      // Two equal tasks at once (the second finds the first in flight), then a third later.
      const [a, b] = await Promise.all([pool.run(() => task(11)), pool.run(() => task(11))]);
      const c = await pool.run(() => task(11));
      assert.equal(pool.memoHits, 2);
      for (const r of [a, b, c]) {
        assert.deepEqual(r.heldPred, expected.heldPred);
        assert.deepEqual(r.testPred, expected.testPred);
        assert.deepEqual(r.gain, expected.gain);
      }
      // A task differing in one label, or in one parameter, is fitted.
      const other = task(11);
      other.trainY[0] = (other.trainY[0]! + 1) % 3;
      await pool.run(() => other);
      await pool.run(() => ({ ...task(11), numIterations: 11 }));
      assert.equal(pool.memoHits, 2);
      assert.equal(plain.memoHits, 0);
    } finally {
      await plain.close();
      await pool.close();
    }
  });

  it('memoize: a failed fit is not remembered (an equal task fits again and fails the same way)', async () => {
    const pool = new FoldFitPool(1, { memoize: true });
    try {
      const bad = (): FoldFitTask => ({ ...task(1), params: paramsFor('multiclass', 2, { minDataInLeaf: 5 }, 7) });
      await assert.rejects(pool.run(bad), /label/i);
      await assert.rejects(pool.run(bad), /label/i);
      assert.equal(pool.memoHits, 0);
    } finally {
      await pool.close();
    }
  });

  it('priority: the worker threads run at the nice value asked for; the calling thread keeps its own', { skip: existsSync('/proc/self/task') ? false : 'needs Linux /proc' }, async () => {
    assert.throws(() => new FoldFitPool(2, { priority: 20 }), /Expected `priority` to be an integer .*20/);
    const niceOf = (): number[] => readdirSync('/proc/self/task').map((t) => Number(readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]));
    const before = niceOf().filter((n) => n === 19).length;
    const own = getPriority();
    const pool = new FoldFitPool(2, { priority: 19 });
    try {
      await pool.ready();
      assert.equal(niceOf().filter((n) => n === 19).length - before, 2, 'two threads at nice 19');
      assert.equal(getPriority(), own);
      const result = await pool.run(() => ({ ...task(3), numIterations: 7000 }));
      assert.equal(result.heldPred.length, 40 * 3);
    } finally {
      await pool.close();
    }
  });
});
