/**
 * Splitters: distributions (chi-square against uniform), inclusive ends, short sequences as the
 * references handle them, determinism per seed, option validation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../data/random.js';
import { ConfigError } from '../errors.js';
import { createSplitter, type SplitterConfig } from './create-splitter.js';
import { NoSplit } from './no-split.js';
import { SampleRandom } from './sample-random.js';
import { SampleSlices } from './sample-slices.js';
import { roundHalfEven, SampleUniform } from './sample-uniform.js';
import { SplitRandom } from './split-random.js';

/** Asserts counts over `values` look uniform: chi-square below dof + 6·sqrt(2·dof) (far beyond p = 0.001). */
function assertUniform(counts: Map<number, number>, values: number[], what: string): void {
  const total = values.reduce((s, v) => s + (counts.get(v) ?? 0), 0);
  const expected = total / values.length;
  const chi2 = values.reduce((s, v) => s + ((counts.get(v) ?? 0) - expected) ** 2 / expected, 0);
  const dof = values.length - 1;
  assert.ok(chi2 < dof + 6 * Math.sqrt(2 * dof), `${what}: chi² = ${chi2.toFixed(1)} with ${dof} dof`);
  for (const key of counts.keys()) assert.ok(values.includes(key), `${what}: unexpected value ${key}`);
}

function count(map: Map<number, number>, key: number): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function assertContiguous(view: Int32Array): void {
  for (let i = 1; i < view.length; i++) assert.equal(view[i], view[i - 1]! + 1);
}

describe('SampleSlices', () => {
  it('draws lengths uniformly on [cntMin, cntMax], both ends inclusive, and contiguous slices', () => {
    const splitter = new SampleSlices({ splitCount: 5, cntMin: 3, cntMax: 8 });
    const rng = new Rng(1);
    const lengths = new Map<number, number>();
    for (let draw = 0; draw < 1200; draw++) {
      for (const view of splitter.split(20, rng)) {
        count(lengths, view.length);
        assertContiguous(view);
        assert.ok(view[0]! >= 0 && view[view.length - 1]! < 20);
      }
    }
    assertUniform(lengths, range(3, 8), 'lengths');
  });
  it('draws starts uniformly over every position where the slice fits, ends included', () => {
    const splitter = new SampleSlices({ splitCount: 4, cntMin: 5, cntMax: 5 });
    const rng = new Rng(2);
    const starts = new Map<number, number>();
    for (let draw = 0; draw < 2000; draw++) for (const view of splitter.split(20, rng)) count(starts, view[0]!);
    assertUniform(starts, range(0, 15), 'starts');
  });
  it('caps the length at the sequence length (cntMax′ = min(cntMax, L)) and then starts at 0', () => {
    const splitter = new SampleSlices({ splitCount: 5, cntMin: 3, cntMax: 100 });
    const rng = new Rng(3);
    const lengths = new Map<number, number>();
    for (let draw = 0; draw < 600; draw++) {
      for (const view of splitter.split(6, rng)) {
        count(lengths, view.length);
        if (view.length === 6) assert.equal(view[0], 0);
      }
    }
    assertUniform(lengths, range(3, 6), 'capped lengths');
  });
  it('returns splitCount full copies when L <= cntMin and the crop rate is 1', () => {
    const views = new SampleSlices({ splitCount: 3, cntMin: 10, cntMax: 20 }).split(10, new Rng(4));
    assert.equal(views.length, 3);
    for (const view of views) assert.deepEqual([...view], range(0, 9));
    assert.notEqual(views[0], views[1], 'copies must not share one buffer');
  });
  it('lowers the minimum to floor(rate·L) for short sequences with a crop rate < 1', () => {
    const splitter = new SampleSlices({ splitCount: 5, cntMin: 8, cntMax: 20, shortSeqCropRate: 0.5 });
    const rng = new Rng(5);
    const lengths = new Map<number, number>();
    for (let draw = 0; draw < 800; draw++) for (const view of splitter.split(10, rng)) count(lengths, view.length);
    assertUniform(lengths, range(5, 10), 'cropped lengths');
  });
  it('keeps at least one event where the reference would allow 0, and gives empty views for empty clients', () => {
    const splitter = new SampleSlices({ splitCount: 2, cntMin: 5, cntMax: 9, shortSeqCropRate: 0.5 });
    for (const view of splitter.split(1, new Rng(6))) assert.deepEqual([...view], [0]);
    assert.deepEqual(splitter.split(0, new Rng(6)).map((v) => v.length), [0, 0]);
  });
  it('gives the same views for the same seed and different ones for another seed', () => {
    const splitter = new SampleSlices({ splitCount: 5, cntMin: 2, cntMax: 50 });
    const a = splitter.split(100, new Rng(9)).map((v) => [...v]);
    assert.deepEqual(splitter.split(100, new Rng(9)).map((v) => [...v]), a);
    assert.notDeepEqual(splitter.split(100, new Rng(10)).map((v) => [...v]), a);
  });
  it('validates its options with the house messages', () => {
    assert.throws(() => new SampleSlices({ cntMin: 0 }), /Expected `cntMin` to be an integer >= 1, got `0` \(number\)/);
    assert.throws(() => new SampleSlices({ cntMin: 20, cntMax: 10 }), /`cntMax` must be >= `cntMin` \(got 10 < 20\)/);
    assert.throws(() => new SampleSlices({ shortSeqCropRate: 1.5 }), /Expected `shortSeqCropRate` to be a finite number in/);
    assert.throws(() => new SampleSlices({ splitcount: 3 } as never), ConfigError);
  });
});

describe('SampleRandom', () => {
  it('draws sorted distinct subsets with lengths uniform on [cntMin, cntMax) (upper end exclusive)', () => {
    const splitter = new SampleRandom({ splitCount: 5, cntMin: 2, cntMax: 7 });
    const rng = new Rng(11);
    const lengths = new Map<number, number>();
    for (let draw = 0; draw < 1000; draw++) {
      for (const view of splitter.split(30, rng)) {
        count(lengths, view.length);
        for (let i = 1; i < view.length; i++) assert.ok(view[i]! > view[i - 1]!);
      }
    }
    assertUniform(lengths, range(2, 6), 'lengths');
  });
  it('caps the drawn length at the sequence length afterwards, as the reference (extra mass on the full sequence)', () => {
    const splitter = new SampleRandom({ splitCount: 1, cntMin: 2, cntMax: 9 });
    const rng = new Rng(13);
    const lengths = new Map<number, number>();
    for (let draw = 0; draw < 3500; draw++) count(lengths, splitter.split(5, rng)[0]!.length);
    // l ~ U{2..8}; min(l, 5): 2, 3, 4 each 1/7, 5 with 4/7 → 500 / 500 / 500 / 2000 expected.
    for (const [value, expected] of [[2, 500], [3, 500], [4, 500], [5, 2000]] as const) {
      assert.ok(Math.abs((lengths.get(value) ?? 0) - expected) < 6 * Math.sqrt(expected), `length ${value}: ${lengths.get(value)}`);
    }
    assert.equal(lengths.size, 4);
  });
  it('includes every event equally often', () => {
    const splitter = new SampleRandom({ splitCount: 1, cntMin: 4, cntMax: 5 });
    const rng = new Rng(12);
    const hits = new Map<number, number>();
    for (let draw = 0; draw < 3000; draw++) for (const i of splitter.split(12, rng)[0]!) count(hits, i);
    assertUniform(hits, range(0, 11), 'event inclusion');
  });
  it('returns full copies when L <= cntMin', () => {
    assert.deepEqual(new SampleRandom({ splitCount: 2, cntMin: 5 }).split(4, new Rng(1)).map((v) => [...v]), [[0, 1, 2, 3], [0, 1, 2, 3]]);
  });
});

describe('SplitRandom', () => {
  it('splits into disjoint parts covering every event, each event to a uniform part', () => {
    const splitter = new SplitRandom({ splitCount: 4, cntMax: 1000 });
    const rng = new Rng(21);
    const parts = new Map<number, number>();
    for (let draw = 0; draw < 100; draw++) {
      const views = splitter.split(40, rng);
      assert.equal(views.length, 4);
      const seen = views.flatMap((v) => [...v]).sort((a, b) => a - b);
      assert.deepEqual(seen, range(0, 39));
      views.forEach((v, k) => {
        for (let i = 1; i < v.length; i++) assert.ok(v[i]! > v[i - 1]!);
        for (let i = 0; i < v.length; i++) count(parts, k);
      });
    }
    assertUniform(parts, range(0, 3), 'part sizes');
  });
  it('truncates each part to its first cntMax events', () => {
    const views = new SplitRandom({ splitCount: 2, cntMax: 3 }).split(50, new Rng(2));
    for (const view of views) assert.equal(view.length, 3);
  });
});

describe('SampleUniform and NoSplit', () => {
  it('starts windows at round(linspace(0, L − seqLen, k)) with numpy rounding', () => {
    assert.deepEqual(new SampleUniform({ splitCount: 4, seqLen: 5 }).split(20).map((v) => v[0]), [0, 5, 10, 15]);
    assert.deepEqual(new SampleUniform({ splitCount: 3, seqLen: 5 }).split(12).map((v) => v[0]), [0, 4, 7]);
    assert.deepEqual(new SampleUniform({ splitCount: 1, seqLen: 5 }).split(20).map((v) => [...v]), [[0, 1, 2, 3, 4]]);
    assert.deepEqual([roundHalfEven(2.5), roundHalfEven(3.5), roundHalfEven(4.2)], [2, 4, 4]);
  });
  it('returns full copies when L <= seqLen + splitCount', () => {
    assert.deepEqual(new SampleUniform({ splitCount: 2, seqLen: 5 }).split(7).map((v) => v.length), [7, 7]);
  });
  it('NoSplit returns the whole sequence once', () => {
    assert.deepEqual(new NoSplit().split(3).map((v) => [...v]), [[0, 1, 2]]);
  });
});

describe('createSplitter', () => {
  const configs: SplitterConfig[] = [
    { kind: 'slices', splitCount: 2, cntMin: 1, cntMax: 3 },
    { kind: 'random', splitCount: 2, cntMin: 1, cntMax: 3 },
    { kind: 'split-random', splitCount: 2 },
    { kind: 'uniform', splitCount: 2, seqLen: 2 },
    { kind: 'none' },
  ];
  it('builds every kind', () => {
    const classes = configs.map((c) => createSplitter(c).constructor);
    assert.deepEqual(classes, [SampleSlices, SampleRandom, SplitRandom, SampleUniform, NoSplit]);
  });
  it('refuses unknown kinds and stray options', () => {
    assert.throws(() => createSplitter({ kind: 'weeks' } as never), /Expected splitter `kind` to be one of .* got `weeks` \(string\)/);
    assert.throws(() => createSplitter({ kind: 'none', splitCount: 2 } as never), /takes no options/);
    assert.throws(() => createSplitter({ kind: 'slices', cntMax: 0 }), /Expected `cntMax` to be an integer >= 1/);
  });
});
