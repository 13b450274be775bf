import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DataFormatError } from '../errors.js';
import { UNKNOWN_INDEX, Vocabulary, loadVocabularies, saveVocabularies } from './vocabulary.js';
import { applyTransform, transformValue } from './numeric-transforms.js';

describe('Vocabulary', () => {
  it('ranks by descending count, ties by first appearance, after 0 = pad and 1 = unknown', () => {
    const v = Vocabulary.fromCounts(['c', 'a', 'b', 'd'], [2, 5, 2, 1]);
    assert.deepEqual(v.tokens, ['<pad>', '<unk>', 'a', 'c', 'b', 'd']);
    assert.equal(v.size, 6);
    assert.equal(v.indexOf('a'), 2);
    assert.equal(v.indexOf('b'), 4);
    assert.equal(v.indexOf('never seen'), UNKNOWN_INDEX);
    assert.equal(v.indexOf('<pad>'), UNKNOWN_INDEX, 'reserved names are not tokens');
    assert.deepEqual([...v.indicesOf(['d', 'x', 'c'])], [5, 1, 3]);
  });

  it('applies maxSize (reserved indices included) and minCount', () => {
    const counts = [9, 1, 5, 3];
    const tokens = ['w', 'x', 'y', 'z'];
    assert.deepEqual(Vocabulary.fromCounts(tokens, counts, { maxSize: 4 }).tokens, ['<pad>', '<unk>', 'w', 'y']);
    assert.deepEqual(Vocabulary.fromCounts(tokens, counts, { minCount: 3 }).tokens, ['<pad>', '<unk>', 'w', 'y', 'z']);
    assert.throws(() => Vocabulary.fromCounts(tokens, counts, { maxSize: 2 }), { name: 'ConfigError', message: /Expected `maxSize` to be an integer >= 3, got `2` \(number\)/ });
    assert.throws(() => Vocabulary.fromCounts(tokens, counts, { minCount: 0 }), ConfigError);
  });

  it('round-trips through JSON and a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-vocab-'));
    try {
      const v = { mcc: Vocabulary.fromCounts(['5411', '6011'], [3, 7]), type: Vocabulary.fromCounts(['x'], [1]) };
      const path = join(dir, 'vocab.json');
      await saveVocabularies(path, v);
      const back = await loadVocabularies(path);
      assert.deepEqual(back.mcc!.tokens, v.mcc.tokens);
      assert.deepEqual(back.mcc!.counts, v.mcc.counts);
      assert.equal(back.mcc!.indexOf('6011'), 2);
      assert.deepEqual(Object.keys(back), ['mcc', 'type']);
      await writeFile(path, '{"mcc": {"tokens": ["a", "a"], "counts": [1, 1]}}');
      await assert.rejects(loadVocabularies(path), (e: unknown) => e instanceof DataFormatError && /vocab\.json, column `mcc`: expected distinct tokens/.test(e.message));
      await writeFile(path, '{"mcc": {"tokens": ["a"], "counts": [-1]}}');
      await assert.rejects(loadVocabularies(path), { name: 'DataFormatError', message: /expected `counts` to be 1 non-negative integers/ });
      await writeFile(path, 'not json');
      await assert.rejects(loadVocabularies(path), { name: 'DataFormatError', message: /vocab\.json: expected vocabularies as JSON, found invalid JSON at line/ });
      await assert.rejects(loadVocabularies(join(dir, 'missing.json')), { name: 'ConfigError', message: /missing\.json: cannot read vocabularies \(ENOENT\)/ });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('numeric transforms', () => {
  it('computes identity, sign·log1p|x| and x/365', () => {
    assert.equal(transformValue('identity', -3), -3);
    assert.equal(transformValue('log', -(Math.E - 1)), -1);
    assert.equal(transformValue('log', 0), 0);
    assert.equal(transformValue('year', 730), 2);
    const values = Float32Array.from([Math.E - 1, -(Math.E - 1), 0]);
    assert.deepEqual([...applyTransform('log', values)].map((x) => Math.round(x * 1e6) / 1e6), [1, -1, 0]);
    assert.deepEqual([...applyTransform('year', Float32Array.from([365, -730]))], [1, -2]);
  });
});
