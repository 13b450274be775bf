/** createLoss / createMiner / createDistance: every kind builds, defaults are the references', bad configs are refused. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import { createDistance } from './distances/create-distance.js';
import { createLoss, createMiner, DEFAULT_LOSS, DEFAULT_MINER, type LossConfig, type MinerConfig } from './create-loss.js';
import { ContrastiveLoss } from './losses/contrastive-loss.js';
import { HardNegativePairMiner } from './miners/hard-negative-pair-miner.js';
import { FIXTURES, assertClose } from './testing/fixtures.js';
import { naiveContrastive, naiveHardNegativePairs } from './testing/naive.js';

const LOSSES: LossConfig[] = [
  { kind: 'contrastive' },
  { kind: 'pml-contrastive' },
  { kind: 'margin' },
  { kind: 'binomial-deviance' },
  { kind: 'histogram', numSteps: 25 },
  { kind: 'multi-similarity' },
  { kind: 'ntxent' },
  { kind: 'triplet' },
  { kind: 'cosface', numClasses: 4, embeddingSize: 8 },
];
const MINERS: MinerConfig[] = [
  { kind: 'hard-negative' },
  { kind: 'all-pairs', balance: true, seed: 3 },
  { kind: 'random-negative' },
  { kind: 'distance-weighted' },
  { kind: 'triplet-margin', type: 'semihard' },
  { kind: 'batch-hard' },
  { kind: 'hard-triplet', negCount: 2 },
];

describe('createLoss', () => {
  const { points, labels } = FIXTURES[1]!;
  it('MeLES default = lifestream contrastive (m 0.5, summed) with 5 hard negatives', () => {
    const loss = createLoss(DEFAULT_LOSS, DEFAULT_MINER);
    assert.ok(loss instanceof ContrastiveLoss && loss.miner instanceof HardNegativePairMiner);
    const x = tf.tensor2d(points);
    const value = loss.call(x, Int32Array.from(labels));
    assertClose(value.dataSync()[0]!, naiveContrastive(points, naiveHardNegativePairs(points, labels, 5), 0.5));
    tf.dispose([x, value]);
  });
  for (const config of LOSSES) {
    for (const miner of config.kind === 'cosface' ? [undefined] : [undefined, ...MINERS]) {
      it(`${config.kind} with ${miner?.kind ?? 'no miner'} gives a finite loss and gradient`, () => {
        const loss = createLoss(config, miner);
        const x = tf.tensor2d(points);
        const y = Int32Array.from(labels);
        const { value, grads } = tf.valueAndGrads((t: tf.Tensor) => loss.call(t as tf.Tensor2D, y))([x]);
        assert.ok(Number.isFinite(value.dataSync()[0]!));
        assert.ok(grads[0]!.dataSync().every(Number.isFinite));
        tf.dispose([x, value, grads[0]!]);
        loss.dispose();
      });
    }
  }
  it('refuses unknown kinds, unknown options and a miner on CosFace', () => {
    assert.throws(() => createLoss({ kind: 'nope' } as unknown as LossConfig), ConfigError);
    assert.throws(() => createMiner({ kind: 'nope' } as unknown as MinerConfig), /Unknown miner `kind`: got `nope`/);
    assert.throws(() => createLoss({ kind: 'margin', marign: 1 } as unknown as LossConfig), /Unknown option `marign`/);
    assert.throws(() => createLoss({ kind: 'cosface', numClasses: 2, embeddingSize: 2 }, DEFAULT_MINER), /takes no miner/);
    assert.throws(() => createMiner({ kind: 'all-pairs', seed: 1.5 }), /Expected `seed` to be an integer/);
  });
});

describe('createDistance', () => {
  it('builds each distance with the right direction', () => {
    assert.equal(createDistance({ kind: 'euclidean' }).isInverted, false);
    assert.equal(createDistance({ kind: 'squared-euclidean' }).isInverted, false);
    assert.equal(createDistance({ kind: 'cosine' }).isInverted, true);
    assert.equal(createDistance({ kind: 'dot', normalize: true }).normalizeEmbeddings, true);
    assert.throws(() => createDistance({ kind: 'manhattan' } as never), /Expected distance `kind` to be one of/);
  });
});
