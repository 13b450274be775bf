/**
 * Default LightGBM parameters per target kind, from pytorch-lifestream's embeddings_validation
 * configs for age_pred (multiclass) and gender (binary).
 */
import type { LightGBMParams } from '../lightgbm/index.js';
import type { TargetKind } from '../../data/label-file.js';

/** Booster parameters that make sense to override (objective and class count follow the target). */
export type LightGBMOverrides = Partial<Omit<LightGBMParams, 'objective' | 'numClass'>>;

/** Every key of {@link LightGBMOverrides}, for validating overrides from JSON. */
export const OVERRIDE_KEYS = [
  'metric', 'learningRate', 'numLeaves', 'maxDepth', 'minDataInLeaf', 'featureFraction', 'baggingFraction',
  'baggingFreq', 'lambdaL1', 'lambdaL2', 'maxBin', 'numThreads', 'seed', 'deterministic',
] as const satisfies readonly (keyof LightGBMOverrides)[];

/** Trees per target kind in the reference (1000 for age, 500 for gender). */
export const DEFAULT_ITERATIONS: Readonly<Record<TargetKind, number>> = { multiclass: 1000, binary: 500 };

/** Trees used by `--fast` (quick runs and tests; scores are lower than with the defaults). */
export const FAST_ITERATIONS = 50;

/**
 * The reference parameters. ptls passes sklearn's `subsample` (0.75 / 0.5); we pair it with
 * `baggingFreq: 1` so the subsampling really happens (LightGBM ignores it at frequency 0).
 */
const DEFAULTS: Readonly<Record<TargetKind, LightGBMOverrides>> = {
  multiclass: {
    metric: 'multi_logloss',
    learningRate: 0.02,
    baggingFraction: 0.75,
    baggingFreq: 1,
    featureFraction: 0.75,
    maxDepth: 12,
    numLeaves: 50,
    lambdaL1: 1,
    lambdaL2: 1,
    minDataInLeaf: 50,
  },
  binary: {
    metric: 'auc',
    learningRate: 0.02,
    baggingFraction: 0.5,
    baggingFreq: 1,
    featureFraction: 0.75,
    maxDepth: 6,
    lambdaL1: 1,
    lambdaL2: 1,
    minDataInLeaf: 50,
  },
};

/** Full booster parameters for a target with `classes` classes, reference defaults under `overrides`. */
export function paramsFor(kind: TargetKind, classes: number, overrides: LightGBMOverrides = {}, seed = 42): LightGBMParams {
  const base = { ...DEFAULTS[kind], seed, ...overrides };
  return kind === 'binary' ? { ...base, objective: 'binary' } : { ...base, objective: 'multiclass', numClass: classes };
}
