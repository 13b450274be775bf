import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { clearBufferPool, POOL_LIMIT, releaseFloat32, takeFloat32 } from './buffer-pool.js';

describe('buffer pool of the fused recurrent ops', () => {
  beforeEach(() => clearBufferPool());

  test('a released buffer is handed out again for the same or a somewhat smaller length', () => {
    const a = takeFloat32(1000);
    assert.equal(a.length, 1000);
    releaseFloat32(a);
    const b = takeFloat32(1000);
    assert.equal(b.buffer, a.buffer);
    releaseFloat32(b);
    const c = takeFloat32(600);
    assert.equal(c.length, 600);
    assert.equal(c.buffer, a.buffer);
    // Released as a view: the whole underlying array goes back, once.
    releaseFloat32(c, c);
    assert.equal(takeFloat32(1000).buffer, a.buffer);
    assert.notEqual(takeFloat32(1000).buffer, a.buffer);
  });

  test('a buffer more than twice the length is not used; the smallest fitting one is', () => {
    const big = takeFloat32(5000);
    const fit = takeFloat32(1500);
    releaseFloat32(big, fit);
    assert.equal(takeFloat32(1000).buffer, fit.buffer);
    assert.notEqual(takeFloat32(1000).buffer, big.buffer);
  });

  test('at most POOL_LIMIT buffers are kept, the largest ones', () => {
    const buffers = Array.from({ length: POOL_LIMIT + 2 }, (_, i) => takeFloat32(100 + i));
    releaseFloat32(...buffers);
    // The two smallest (100, 101) were dropped: a 100-value request gets none of them.
    const again = takeFloat32(100);
    assert.ok(buffers.slice(2).some((b) => b.buffer === again.buffer));
    assert.ok(!buffers.slice(0, 2).some((b) => b.buffer === again.buffer));
  });
});
