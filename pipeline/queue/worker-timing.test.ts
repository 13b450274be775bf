import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../errors.js';
import { crashRetryBoundMs, DEFAULT_TIMING, validateWorkerTiming } from './queues.js';

describe('worker lock timing', () => {
  it('by default a crashed worker\'s job runs again within a minute, with locks long enough for a busy main process', () => {
    assert.deepEqual(DEFAULT_TIMING, { lockDuration: 30_000, stalledInterval: 15_000, maxStalledCount: 1 });
    assert.equal(crashRetryBoundMs(DEFAULT_TIMING), 60_000);
    assert.equal(crashRetryBoundMs({ lockDuration: 1000, stalledInterval: 500 }), 2000);
  });

  it('is validated once, naming the field and what was given; maxStalledCount defaults to 1', () => {
    assert.deepEqual(validateWorkerTiming({ lockDuration: 1000, stalledInterval: 500 }), { lockDuration: 1000, stalledInterval: 500, maxStalledCount: 1 });
    assert.deepEqual(validateWorkerTiming({ lockDuration: 3_600_000, stalledInterval: 3_600_000, maxStalledCount: 0 }), { lockDuration: 3_600_000, stalledInterval: 3_600_000, maxStalledCount: 0 });
    const refusals: [Parameters<typeof validateWorkerTiming>[0], RegExp][] = [
      [{ lockDuration: 999, stalledInterval: 500 }, /^Expected `lockDuration` to be an integer .*1000.*, got `999` \(number\)$/],
      [{ lockDuration: 1000.5, stalledInterval: 500 }, /^Expected `lockDuration` to be an integer/],
      [{ lockDuration: 3_600_001, stalledInterval: 500 }, /^Expected `lockDuration` to be an integer .*3600000/],
      [{ lockDuration: 1000, stalledInterval: 0 }, /^Expected `stalledInterval` to be an integer .*500.*, got `0` \(number\)$/],
      [{ lockDuration: 1000, stalledInterval: Number.NaN }, /^Expected `stalledInterval` to be an integer/],
      [{ lockDuration: 1000, stalledInterval: 500, maxStalledCount: -1 }, /^Expected `maxStalledCount` to be an integer .*0.*, got `-1` \(number\)$/],
      [{ lockDuration: 1000, stalledInterval: 500, maxStalledCount: 101 }, /^Expected `maxStalledCount` to be an integer .*100/],
    ];
    for (const [timing, message] of refusals) {
      assert.throws(() => validateWorkerTiming(timing), (error: unknown) => error instanceof ConfigError && message.test(error.message), JSON.stringify(timing));
    }
  });
});
