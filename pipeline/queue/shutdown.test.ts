import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Closer, CloseTimeoutError } from './shutdown.js';

describe('Closer', () => {
  it('closes in order once, survives a failing step, and a second close waits for the first', async () => {
    const calls: string[] = [];
    const errors: string[] = [];
    const closer = new Closer(
      [
        { name: 'workers', close: async () => { await new Promise((r) => setTimeout(r, 20)); calls.push('workers'); } },
        { name: 'queue', close: async () => { calls.push('queue'); throw new Error('already closed'); } },
        { name: 'connection', close: async () => { calls.push('connection'); } },
      ],
      (step, error) => errors.push(`${step}: ${(error as Error).message}`),
    );
    const first = closer.close();
    const second = closer.close();
    assert.equal(first, second);
    await second;
    await closer.close();
    assert.deepEqual(calls, ['workers', 'queue', 'connection']);
    assert.deepEqual(errors, ['queue: already closed']);
  });

  it('goes on with the next step when a step never finishes within its timeout', async () => {
    const calls: string[] = [];
    const errors: unknown[] = [];
    const closer = new Closer(
      [
        { name: 'stuck worker', close: () => new Promise<void>(() => {}), timeoutMs: 30 },
        { name: 'queue', close: async () => { calls.push('queue'); } },
      ],
      (_step, error) => errors.push(error),
    );
    await closer.close();
    assert.deepEqual(calls, ['queue']);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof CloseTimeoutError);
    assert.match((errors[0] as Error).message, /stuck worker did not close within 30 ms/);
  });
});
