import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { ConfigError } from '../../errors.js';
import { AUTO_THREADS_CAP, autoThreads, parseThreads, resolveThreads, THREADS_ENV, threadsFromEnvironment } from './threads.js';

describe('threads setting', () => {
  it('parses counts and auto, resolves auto to the cores capped at 2, and names the flag in errors', () => {
    assert.equal(parseThreads('--threads', '2'), 2);
    assert.equal(parseThreads('--threads', ' auto '), 'auto');
    assert.equal(resolveThreads('auto'), Math.min(AUTO_THREADS_CAP, availableParallelism()));
    assert.equal(resolveThreads(3), 3);
    assert.equal(autoThreads(), resolveThreads('auto'));
    for (const bad of ['0', '-1', '1.5', 'two', '', '65']) {
      assert.throws(() => parseThreads('--threads', bad), (e: unknown) => e instanceof ConfigError && e.message === `Expected \`--threads\` to be an integer from 1 to 64 or \`auto\`, got \`${bad}\``);
    }
  });

  it('reads MELES_THREADS, empty meaning unset', () => {
    const saved = process.env[THREADS_ENV];
    try {
      process.env[THREADS_ENV] = '1';
      assert.equal(threadsFromEnvironment(), 1);
      process.env[THREADS_ENV] = '';
      assert.equal(threadsFromEnvironment(), undefined);
      process.env[THREADS_ENV] = 'x';
      assert.throws(() => threadsFromEnvironment(), /Expected `MELES_THREADS` to be an integer from 1 to 64 or `auto`, got `x`/);
    } finally {
      if (saved === undefined) delete process.env[THREADS_ENV];
      else process.env[THREADS_ENV] = saved;
    }
  });
});
