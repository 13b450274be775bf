import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { LastValueCache } from './sequence-cache.js';

describe('LastValueCache', () => {
  it('loads once per key, shares a load in flight, and replaces the entry on a new key', async () => {
    const cache = new LastValueCache<string>(60_000);
    let loads = 0;
    const load = (value: string) => async () => {
      loads++;
      await sleep(5);
      return value;
    };
    const [a, b] = await Promise.all([cache.get('k1', load('one')), cache.get('k1', load('other'))]);
    assert.deepEqual([a, b, loads], ['one', 'one', 1]);
    assert.equal(await cache.get('k2', load('two')), 'two');
    assert.equal(loads, 2);
    // Only the last key is kept: going back to k1 loads again.
    assert.equal(await cache.get('k1', load('one again')), 'one again');
    assert.equal(loads, 3);
    cache.clear();
  });

  it('does not keep a failed load', async () => {
    const cache = new LastValueCache<number>(60_000);
    await assert.rejects(cache.get('k', () => Promise.reject(new Error('disk gone'))), /disk gone/);
    assert.equal(cache.key, null);
    assert.equal(await cache.get('k', async () => 7), 7);
    cache.clear();
  });

  it('drops the entry after idleMs without use', async () => {
    const cache = new LastValueCache<number>(30);
    await cache.get('k', async () => 1);
    assert.equal(cache.key, 'k');
    await sleep(80);
    assert.equal(cache.key, null);
  });

  it('rejects a bad idleMs with the option name', () => {
    assert.throws(() => new LastValueCache<number>(0), /Expected `idleMs` to be an integer >= 1, got `0` \(number\)/);
  });
});
