import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../errors.js';
import { connectTimeoutFrom, isRedisAuthError } from './redis-check.js';

describe('Redis connection check options', () => {
  it('takes --connect-timeout, then MELES_REDIS_CONNECT_TIMEOUT, then 5 s', () => {
    assert.equal(connectTimeoutFrom(undefined, {}), 5000);
    assert.equal(connectTimeoutFrom(undefined, { MELES_REDIS_CONNECT_TIMEOUT: '2.5' }), 2500);
    assert.equal(connectTimeoutFrom('1', { MELES_REDIS_CONNECT_TIMEOUT: '9' }), 1000);
    assert.throws(() => connectTimeoutFrom('soon', {}), (e: unknown) => e instanceof ConfigError && /--connect-timeout.*`soon`/.test(e.message));
    assert.throws(() => connectTimeoutFrom(undefined, { MELES_REDIS_CONNECT_TIMEOUT: '0' }), /MELES_REDIS_CONNECT_TIMEOUT.*`0`/);
  });

  it('tells authentication errors from others', () => {
    assert.ok(isRedisAuthError(new Error('WRONGPASS invalid username-password pair or user is disabled.')));
    assert.ok(isRedisAuthError(new Error('NOAUTH Authentication required.')));
    assert.ok(!isRedisAuthError(new Error('connect ECONNREFUSED 127.0.0.1:6379')));
    assert.ok(!isRedisAuthError(new Error('LOADING Redis is loading the dataset in memory')));
  });
});
