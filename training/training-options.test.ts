import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../errors.js';
import { initialScheduleState, nextLearningRate, type ScheduleConfig } from './lr-schedule.js';
import { DEFAULT_TRAINING, resolveTrainingOptions } from './training-options.js';

describe('resolveTrainingOptions', () => {
  it('spreads defaults, merges layers in order (encoder field by field) and validates', () => {
    const o = resolveTrainingOptions('test', { epochs: 3, encoder: { encoder: 'lstm', hidden: 32 } }, { epochs: 5, encoder: { layers: 2 } });
    assert.equal(o.epochs, 5);
    assert.deepEqual([o.encoder.encoder, o.encoder.hidden, o.encoder.layers], ['lstm', 32, 2]);
    assert.equal(o.batchSize, DEFAULT_TRAINING.batchSize);
    assert.deepEqual(o.splitter, { kind: 'slices', splitCount: 5, cntMin: 25, cntMax: 200 });
  });

  it('rejects bad values with messages naming the option and the value', () => {
    assert.throws(() => resolveTrainingOptions('train.json', { batchSize: 1 }), { name: 'ConfigError', message: 'Expected `batchSize` to be an integer >= 2, got `1` (number)' });
    assert.throws(() => resolveTrainingOptions('train.json', { epoch: 3 } as never), /Unknown option `epoch` in train\.json/);
    assert.throws(() => resolveTrainingOptions('train.json', { encoder: { encoder: 'transformer', hidden: 30, heads: 4 } }), /divisible by `heads`.*30 % 4 = 2/);
    assert.throws(() => resolveTrainingOptions('train.json', { splitter: { kind: 'slices', cntMin: 0 } }), (e: unknown) => e instanceof ConfigError && /train\.json `splitter`/.test(e.message));
    assert.throws(() => resolveTrainingOptions('train.json', { schedule: { kind: 'step', gamma: 2 } }), /schedule\.gamma/);
    assert.throws(() => resolveTrainingOptions('train.json', { loss: { kind: 'hinge' } }), ConfigError);
  });
});

describe('learning-rate schedules', () => {
  const run = (config: ScheduleConfig, metrics: number[]): number[] => {
    let state = initialScheduleState(1);
    return metrics.map((m, epoch) => {
      state = nextLearningRate(config, 1, metrics.length, epoch, state, m);
      return Number(state.learningRate.toFixed(6));
    });
  };
  it('step multiplies by gamma every stepEpochs epochs', () => {
    assert.deepEqual(run({ kind: 'step', stepEpochs: 2, gamma: 0.5 }, [0, 0, 0, 0, 0]), [1, 0.5, 0.5, 0.25, 0.25]);
  });
  it('cosine anneals from the base rate to the minimum over the run', () => {
    assert.deepEqual(run({ kind: 'cosine', minLearningRate: 0 }, [0, 0, 0, 0]), [0.853553, 0.5, 0.146447, 0]);
  });
  it('plateau cuts the rate after `patience` epochs without a better recall', () => {
    assert.deepEqual(run({ kind: 'plateau', factor: 0.5, patience: 1, minLearningRate: 0.2 }, [0.1, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.3]), [1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.25]);
  });
});
