/** Length-sorted batches: every client once, batches grouped by length, less padding than random batches. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../data/random.js';
import type { SequenceSet } from '../data/sequence-set.js';
import { lengthSortedBatches, paddingCells } from './length-batches.js';

function setOf(lengths: number[]): SequenceSet {
  const offsets = new Int32Array(lengths.length + 1);
  lengths.forEach((l, c) => (offsets[c + 1] = offsets[c]! + l));
  const total = offsets[lengths.length]!;
  return {
    ids: { kind: 'int32', values: Int32Array.from(lengths, (_, c) => c) },
    offsets,
    times: new Float64Array(total),
    categorical: {},
    numeric: {},
    timeUnit: 'number',
  };
}

describe('lengthSortedBatches', () => {
  const rng = new Rng(3);
  const lengths = Array.from({ length: 200 }, () => rng.int(1, 900));
  const set = setOf(lengths);
  const clients = Int32Array.from(lengths, (_, c) => c);
  it('visits every client exactly once, in batches of at most batchSize', () => {
    const batches = lengthSortedBatches(set, clients, 32, Infinity, new Rng(1));
    assert.ok(batches.every((b) => b.length <= 32));
    assert.deepEqual(batches.flatMap((b) => [...b]).sort((a, b) => a - b), [...clients]);
  });
  it('groups by (capped) length and cuts padding well below shuffled batches', () => {
    const sorted = lengthSortedBatches(set, clients, 32, 500);
    for (let i = 1; i < sorted.length; i++) {
      assert.ok(Math.min(lengths[sorted[i - 1]!.at(-1)!]!, 500) >= Math.min(lengths[sorted[i]![0]!]!, 500));
    }
    const shuffled = new Rng(2).shuffle(Int32Array.from(clients));
    const random = Array.from({ length: Math.ceil(200 / 32) }, (_, k) => shuffled.subarray(k * 32, (k + 1) * 32));
    assert.ok(paddingCells(set, sorted, 500) * 4 < paddingCells(set, random, 500), 'expected at least 4× less padding');
  });
  it('is deterministic without an rng and shuffles batch order with one', () => {
    assert.deepEqual(lengthSortedBatches(set, clients, 50), lengthSortedBatches(set, clients, 50));
    const a = lengthSortedBatches(set, clients, 10, Infinity, new Rng(5)).map((b) => b[0]);
    const b = lengthSortedBatches(set, clients, 10, Infinity, new Rng(6)).map((b) => b[0]);
    assert.notDeepEqual(a, b);
  });
  it('validates its inputs', () => {
    assert.throws(() => lengthSortedBatches(set, clients, 0), /Expected `batchSize` to be an integer >= 1, got `0` \(number\)/);
    assert.throws(() => lengthSortedBatches(set, [200], 4), /client index 200/);
  });
});
