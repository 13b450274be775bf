import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SequenceSet } from '../../data/sequence-set.js';
import { emptySequences, eventsAfter } from './new-events.js';

const SET: SequenceSet = {
  ids: { kind: 'int32', values: new Int32Array([7, 8, 9]) },
  offsets: new Int32Array([0, 3, 5, 7]),
  times: new Float64Array([1, 5, 6, 2, 5, 6, 9]),
  categorical: { mcc: new Int32Array([2, 3, 4, 5, 6, 7, 8]) },
  numeric: { amount: new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]) },
  timeUnit: 'ms',
};

describe('eventsAfter: the events of a window (previous as-of, as-of]', () => {
  it('keeps each client\'s events strictly after the bound and drops clients left without any', () => {
    const kept = eventsAfter(SET, 5);
    assert.deepEqual(Array.from(kept.ids.values as Int32Array), [7, 9]);
    assert.deepEqual(Array.from(kept.offsets), [0, 1, 3]);
    assert.deepEqual(Array.from(kept.times), [6, 6, 9]);
    assert.deepEqual(Array.from(kept.categorical.mcc!), [4, 7, 8]);
    assert.deepEqual(Array.from(kept.numeric.amount!), [0.30000001192092896, 0.6000000238418579, 0.699999988079071]);
    assert.equal(eventsAfter(SET, 9).offsets.length, 1);
    assert.equal(eventsAfter(SET, 0).times.length, 7);
  });

  it('an empty set has the state\'s id kind and the mapping\'s columns', () => {
    const empty = emptySequences('utf8', 'ms', { id: 'id', time: 't', categorical: ['mcc'], numeric: ['amount'], targets: [] });
    assert.equal(empty.ids.kind, 'utf8');
    assert.deepEqual(Object.keys(empty.categorical), ['mcc']);
    assert.deepEqual(Array.from(empty.offsets), [0]);
  });
});
