/** Collation: layout (row-major, right zero-padded), client-major labels, bucketing, tails. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../data/random.js';
import type { SequenceSet } from '../data/sequence-set.js';
import { ShapeError } from '../errors.js';
import { collateTails, collateViews, type ViewBatch } from './collate.js';
import { NoSplit } from './no-split.js';
import { SampleSlices } from './sample-slices.js';
import type { Splitter } from './splitter.js';

// Client c has lengths[c] events; event i of client c has amount 100·c + i and mcc 10·c + i + 2,
// so every copied value says where it came from.
function makeSet(lengths: number[]): SequenceSet {
  const offsets = new Int32Array(lengths.length + 1);
  lengths.forEach((l, c) => (offsets[c + 1] = offsets[c]! + l));
  const total = offsets[lengths.length]!;
  const amount = new Float32Array(total);
  const mcc = new Int32Array(total);
  const times = new Float64Array(total);
  lengths.forEach((l, c) => {
    for (let i = 0; i < l; i++) {
      amount[offsets[c]! + i] = 100 * c + i;
      mcc[offsets[c]! + i] = 10 * c + i + 2;
      times[offsets[c]! + i] = i;
    }
  });
  return { ids: { kind: 'int32', values: Int32Array.from(lengths, (_, c) => 1000 + c) }, offsets, times, categorical: { mcc }, numeric: { amount }, timeUnit: 'number' };
}

/** Checks every row against the source set: values, padding, lengths. */
function assertConsistent(batch: ViewBatch, views: (v: number) => number[]): void {
  for (let v = 0; v < batch.size; v++) {
    const c = batch.clients[v]!;
    const indices = views(v);
    assert.equal(batch.lengths[v], indices.length);
    for (let t = 0; t < batch.maxLength; t++) {
      const at = v * batch.maxLength + t;
      if (t < indices.length) {
        assert.equal(batch.numeric.amount![at], 100 * c + indices[t]!);
        assert.equal(batch.categorical.mcc![at], 10 * c + indices[t]! + 2);
      } else {
        assert.equal(batch.numeric.amount![at], 0);
        assert.equal(batch.categorical.mcc![at], 0);
      }
    }
  }
  assert.equal(batch.numeric.amount!.length, batch.size * batch.maxLength);
}

/** A splitter that records what it returned, to compare with the batch. */
class Recording implements Splitter {
  readonly returned: Int32Array[] = [];
  constructor(private readonly inner: Splitter) {}
  split(length: number, rng: Rng): Int32Array[] {
    const views = this.inner.split(length, rng);
    this.returned.push(...views);
    return views;
  }
}

describe('collateViews', () => {
  const set = makeSet([7, 3, 12, 5]);
  it('lays views out client-major with labels = batch position and clients = global index', () => {
    const splitter = new Recording(new SampleSlices({ splitCount: 3, cntMin: 2, cntMax: 6 }));
    const batch = collateViews(set, [2, 0, 3], splitter, new Rng(1));
    assert.equal(batch.size, 9);
    assert.deepEqual([...batch.labels], [0, 0, 0, 1, 1, 1, 2, 2, 2]);
    assert.deepEqual([...batch.clients], [2, 2, 2, 0, 0, 0, 3, 3, 3]);
    assert.equal(batch.maxLength, Math.max(...splitter.returned.map((v) => v.length)));
    assertConsistent(batch, (v) => [...splitter.returned[v]!]);
  });
  it('is reproducible for a seed', () => {
    const splitter = new SampleSlices({ splitCount: 2, cntMin: 1, cntMax: 10 });
    assert.deepEqual(collateViews(set, [0, 1, 2], splitter, new Rng(4)), collateViews(set, [0, 1, 2], splitter, new Rng(4)));
  });
  it('with bucketByLength orders views longest first and keeps labels and clients with their rows', () => {
    const splitter = new Recording(new SampleSlices({ splitCount: 3, cntMin: 1, cntMax: 12 }));
    const plain = collateViews(set, [0, 1, 2, 3], splitter, new Rng(7));
    const bucketed = collateViews(set, [0, 1, 2, 3], new SampleSlices({ splitCount: 3, cntMin: 1, cntMax: 12 }), new Rng(7), { bucketByLength: true });
    for (let v = 1; v < bucketed.size; v++) assert.ok(bucketed.lengths[v - 1]! >= bucketed.lengths[v]!);
    const rows = (b: ViewBatch): string[] =>
      Array.from({ length: b.size }, (_, v) => `${b.labels[v]}|${b.clients[v]}|${[...b.numeric.amount!.subarray(v * b.maxLength, (v + 1) * b.maxLength)]}`).sort();
    assert.deepEqual(rows(bucketed), rows(plain));
  });
  it('pads empty clients as zero-length rows', () => {
    const batch = collateViews(makeSet([0, 4]), [0, 1], new NoSplit(), new Rng(1));
    assert.deepEqual([...batch.lengths], [0, 4]);
    assert.deepEqual([...batch.numeric.amount!.subarray(0, 4)], [0, 0, 0, 0]);
  });
  it('refuses client indices outside the set', () => {
    assert.throws(() => collateViews(set, [4], new NoSplit(), new Rng(1)), ShapeError);
  });
});

describe('collateTails', () => {
  it('keeps each client’s last maxEvents events, one row per client, labels 0..n−1', () => {
    const set = makeSet([7, 3, 12]);
    const batch = collateTails(set, [2, 1], 5);
    assert.deepEqual([...batch.lengths], [5, 3]);
    assert.deepEqual([...batch.labels], [0, 1]);
    assert.deepEqual([...batch.clients], [2, 1]);
    assertConsistent(batch, (v) => (v === 0 ? [7, 8, 9, 10, 11] : [0, 1, 2]));
  });
  it('validates maxEvents', () => {
    assert.throws(() => collateTails(makeSet([2]), [0], 0), /Expected `maxEvents` to be an integer >= 1, got `0` \(number\)/);
  });
});
