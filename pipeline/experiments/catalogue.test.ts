import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../errors.js';
import { resolveTrainingOptions } from '../../training/training-options.js';
import { EXPERIMENTS } from './catalogue.js';
import { resolveExperimentOptions } from './experiment-options.js';
import { EXPERIMENT_NAMES, SCALE_NAMES } from './experiment-types.js';
import { baseTraining } from './run-experiment.js';
import { SCALES } from './scales.js';
import { labelledTraining } from './model-rows.js';
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
        for (const v of variants) if (v.model !== undefined) labelledTraining(scale, v.model);
        for (const source of variants.flatMap((v) => v.sources ?? [])) {
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
      const source = row.sources?.[0];
      assert.ok(source !== undefined);
      assert.equal(source.kind, 'trained');
      return variantDir('/r', mergeTraining(base, source.kind === 'trained' ? source.train : {}));
    });
    assert.equal(new Set(dirs).size, 1);
  });

  it('the models table has the lecture rows, the sequence models fine-tuning the MeLES and CPC trainings of the LightGBM rows', () => {
    const rows = EXPERIMENTS.models.variants(SCALES.small);
    assert.equal(rows.length, 8);
    assert.equal(EXPERIMENTS.models.pending, undefined);
    const base = baseTraining(SCALES.small);
    const trainingOf = (set: string): string => {
      const row = rows.find((r) => r.set === set)!;
      const train = row.model?.kind === 'fine-tuned' ? row.model.from : row.sources?.find((s) => s.kind === 'trained');
      assert.ok(train !== undefined, set);
      return variantDir('/r', mergeTraining(base, 'kind' in train ? train.train : train));
    };
    assert.equal(trainingOf('MeLES fine-tuning'), trainingOf('LightGBM on MeLES embeddings'));
    assert.equal(trainingOf('Fine-tuned Contrastive Predictive Coding'), trainingOf('LightGBM on CPC embeddings'));
    assert.deepEqual(rows.filter((r) => r.model !== undefined).map((r) => r.set), ['Supervised learning', 'MeLES fine-tuning', 'Fine-tuned Contrastive Predictive Coding']);
    const fractions = EXPERIMENTS['label-fraction'];
    assert.equal(fractions.unavailable, undefined);
    assert.equal(fractions.byLabelFraction, true);
    assert.deepEqual(SCALES.small.labelFractions, [0.05, 0.1, 0.25, 0.5, 1]);
  });

  it('fine-tuning uses the ptls learning rates (encoder 1e-4, head 2e-3) on the standardised embedding, and the supervised row the default architecture', () => {
    const tuned = labelledTraining(SCALES.small, { kind: 'fine-tuned', from: {} });
    assert.deepEqual(tuned.finetune, { encoderLearningRate: 1e-4, headLearningRate: 2e-3, standardizeEmbedding: true });
    assert.equal(tuned.training.method, 'supervised');
    const supervised = labelledTraining(SCALES.small, { kind: 'supervised' });
    assert.equal(supervised.finetune, undefined);
    assert.equal(supervised.training.encoder.hidden, SCALES.small.hidden);
  });

  it('validates the experiment name and scale once, with readable messages', () => {
    assert.throws(() => resolveExperimentOptions({ name: 'pairz', out: 'x' }), (e) => e instanceof ConfigError && /`experiment`.*pairs.*pairz/s.test(e.message));
    assert.throws(() => resolveExperimentOptions({ name: 'pairs', out: 'x', scale: 'huge' }), (e) => e instanceof ConfigError && /`scale`.*huge/s.test(e.message));
    const o = resolveExperimentOptions({ name: 'losses', out: 'runs/exp' });
    assert.equal(o.scale, 'small');
    assert.equal(o.command, 'meles experiment losses --out runs/exp --scale small');
  });
});
