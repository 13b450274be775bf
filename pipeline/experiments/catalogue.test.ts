import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../errors.js';
import { resolveTrainingOptions } from '../../training/training-options.js';
import { EXPERIMENTS } from './catalogue.js';
import { resolveExperimentOptions } from './experiment-options.js';
import { EXPERIMENT_NAMES, SCALE_NAMES } from './experiment-types.js';
import { baseTraining } from './run-experiment.js';
import { SCALES } from './scales.js';
import { mergeTraining, variantDir } from './variant-training.js';

describe('experiment catalogue', () => {
  it('every runnable experiment has unique rows, one default, and trainings the trainer accepts at every scale', () => {
    for (const name of EXPERIMENT_NAMES) {
      const definition = EXPERIMENTS[name];
      if (definition.unavailable !== undefined) continue;
      for (const scaleName of SCALE_NAMES) {
        const scale = SCALES[scaleName];
        const variants = definition.variants(scale);
        const sets = [...variants.map((v) => v.set), ...(definition.pending ?? []).map((p) => p.set)];
        assert.equal(new Set(sets).size, sets.length, `${name}: duplicate rows`);
        assert.equal(variants.filter((v) => v.isDefault === true).length, 1, `${name} at ${scaleName}: one default row`);
        for (const source of variants.flatMap((v) => v.sources)) {
          if (source.kind !== 'trained') continue;
          // A bad loss/miner/splitter/method combination fails here, not an hour into a run.
          resolveTrainingOptions(`${name} at ${scaleName}`, mergeTraining(baseTraining(scale), source.train));
        }
      }
    }
  });

  it('the default rows of different experiments are one training (shared directory)', () => {
    const base = baseTraining(SCALES.small);
    const dirs = (['pairs', 'losses', 'negatives', 'encoders', 'embedding-size'] as const).map((name) => {
      const row = EXPERIMENTS[name].variants(SCALES.small).find((v) => v.isDefault === true)!;
      const source = row.sources[0]!;
      assert.equal(source.kind, 'trained');
      return variantDir('/r', mergeTraining(base, source.kind === 'trained' ? source.train : {}));
    });
    assert.equal(new Set(dirs).size, 1);
  });

  it('label-fraction refuses with a reason; the models table keeps the lecture rows it cannot measure yet', () => {
    assert.match(EXPERIMENTS['label-fraction'].unavailable ?? '', /not available yet/);
    assert.deepEqual(EXPERIMENTS.models.pending?.map((p) => p.set), ['Supervised learning', 'MeLES fine-tuning', 'Fine-tuned Contrastive Predictive Coding']);
  });

  it('validates the experiment name and scale once, with readable messages', () => {
    assert.throws(() => resolveExperimentOptions({ name: 'pairz', out: 'x' }), (e) => e instanceof ConfigError && /`experiment`.*pairs.*pairz/s.test(e.message));
    assert.throws(() => resolveExperimentOptions({ name: 'pairs', out: 'x', scale: 'huge' }), (e) => e instanceof ConfigError && /`scale`.*huge/s.test(e.message));
    const o = resolveExperimentOptions({ name: 'losses', out: 'runs/exp' });
    assert.equal(o.scale, 'small');
    assert.equal(o.command, 'meles experiment losses --out runs/exp --scale small');
  });
});
