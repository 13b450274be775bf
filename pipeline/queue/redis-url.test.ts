import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../errors.js';
import { parseRedisUrl, redact, redactUrl, redisUrlFrom } from './redis-url.js';

describe('Redis URLs', () => {
  it('parses host, port, db, user, password and TLS', () => {
    const plain = parseRedisUrl('redis://10.0.0.5:6390/2');
    assert.deepEqual(plain.options, { host: '10.0.0.5', port: 6390, db: 2 });
    const tls = parseRedisUrl('rediss://worker:p%40ss@cache.example.com');
    assert.equal(tls.options.username, 'worker');
    assert.equal(tls.options.password, 'p@ss');
    assert.equal(tls.options.port, 6379);
    assert.deepEqual(tls.options.tls, { servername: 'cache.example.com' });
    assert.equal(tls.display, 'rediss://worker:***@cache.example.com');
  });

  it('never puts the password in an error message', () => {
    assert.throws(() => parseRedisUrl('http://u:hunter22@host'), (e: unknown) => e instanceof ConfigError && !e.message.includes('hunter22') && /redis:\/\/ or rediss:\/\//.test(e.message));
    assert.throws(() => parseRedisUrl('redis://:hunter22@host/abc'), (e: unknown) => e instanceof ConfigError && !e.message.includes('hunter22'));
  });

  it('redacts URLs and bare secrets inside any text', () => {
    assert.equal(redactUrl('connect redis://:s3cret@h:1 and rediss://u:x@y'), 'connect redis://:***@h:1 and rediss://u:***@y');
    assert.equal(redact('AUTH failed for s3cret', ['s3cret']), 'AUTH failed for ***');
  });

  it('takes the flag, then REDIS_URL, then the default', () => {
    assert.equal(redisUrlFrom('redis://a', { REDIS_URL: 'redis://b' }), 'redis://a');
    assert.equal(redisUrlFrom(undefined, { REDIS_URL: 'redis://b' }), 'redis://b');
    assert.equal(redisUrlFrom(undefined, {}), 'redis://127.0.0.1:6379');
  });
});
