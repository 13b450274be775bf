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

/**
 * A leaf may hold as little as 1/`LEAF_MINIMUM_DIVISOR` of the rows one tree is grown on (the
 * bagged sample). Why 10: a class or a feature range holding a tenth of the rows can then get its
 * own leaf (the synthetic age groups hold ~25% each, gender ~50%), and the first split of a tree
 * can fall anywhere between the 10th and the 90th percentile of a feature. At the reference's own
 * scale (ptls age: ~24 000 training clients, ~18 000 bagged) the 50-row leaf is 0.3% of the bag,
 * far below the cap, which therefore binds only where the reference minimum was never meant to
 * apply: it leaves no split at all for 72–144 training clients (constant models in the
 * label-fraction table at 5% and 10%).
 */
export const LEAF_MINIMUM_DIVISOR = 10;

/**
 * The leaf minimum for `trainRows` training rows: the configured `minDataInLeaf` (LightGBM's 20
 * when unset), capped at `max(1, floor(bagged / LEAF_MINIMUM_DIVISOR))`, where `bagged` is
 * LightGBM's own bag size `floor(baggingFraction × trainRows)` (all rows without bagging).
 *
 * With the reference defaults the cap leaves 50 unchanged from 1000 training rows up for binary
 * (bagging 0.5: ≥ 500 bagged rows) and from 667 up for multiclass (bagging 0.75), so every
 * evaluation of 2000 clients (5 folds, 10% test: ~1440 training rows per fold, e.g. `meles demo`
 * and the `models` experiment) keeps its numbers; `lightgbm-defaults.test.ts` checks it.
 */
export function cappedLeafMinimum(params: Pick<LightGBMOverrides, 'minDataInLeaf' | 'baggingFraction' | 'baggingFreq'>, trainRows: number): number {
  const configured = params.minDataInLeaf ?? 20;
  const bagging = (params.baggingFreq ?? 0) > 0 ? (params.baggingFraction ?? 1) : 1;
  const bagged = Math.floor(bagging * trainRows);
  return Math.min(configured, Math.max(1, Math.floor(bagged / LEAF_MINIMUM_DIVISOR)));
}

/** One booster's leaf minimum and the training rows it was set for (see {@link cappedLeafMinimum}). */
export interface LeafMinimumUse {
  /** The `min_data_in_leaf` the booster was trained with. */
  readonly minDataInLeaf: number;
  /** Training rows of that booster. */
  readonly trainRows: number;
}

/**
 * The one wording of "the cap lowered the leaf minimum", shared by `meles evaluate` (one booster
 * per fold) and `meles fit` (one booster), so reports and warnings say it the same way. Callers
 * prefix what it is about (set, target).
 * @param configured - the configured `min_data_in_leaf`; `undefined` means LightGBM's 20.
 * @param uses - every booster of one model: with more than one (the folds of an evaluation) the
 *   note says in how many folds it was lowered.
 * @returns the note, or `undefined` when no booster's leaf minimum is below `configured`.
 */
export function leafMinimumLoweredNote(configured: number | undefined, uses: readonly LeafMinimumUse[]): string | undefined {
  const from = configured ?? 20;
  const lowered = uses.filter((u) => u.minDataInLeaf < from);
  if (lowered.length === 0) return undefined;
  const span = (values: readonly number[]): string => {
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    return lo === hi ? `${lo}` : `${lo}–${hi}`;
  };
  const folds = uses.length > 1 ? ` in ${lowered.length} of ${uses.length} folds` : '';
  return `LightGBM min_data_in_leaf lowered from ${from} to ${span(lowered.map((u) => u.minDataInLeaf))}${folds}` +
    ` (${span(lowered.map((u) => u.trainRows))} training rows; at most 1/${LEAF_MINIMUM_DIVISOR} of the rows a tree is grown on, lightgbm-defaults.ts)`;
}

/**
 * Full booster parameters for a target with `classes` classes, reference defaults under `overrides`.
 * With `trainRows` (the rows the booster will learn from) the reference leaf minimum is capped for
 * small training sets ({@link cappedLeafMinimum}); a `minDataInLeaf` given in `overrides` is the
 * caller's explicit choice and is kept as given.
 * @param trainRows - training rows of this booster. @defaultValue `undefined` (no cap)
 */
export function paramsFor(kind: TargetKind, classes: number, overrides: LightGBMOverrides = {}, seed = 42, trainRows?: number): LightGBMParams {
  const merged = { ...DEFAULTS[kind], seed, ...overrides };
  const base = trainRows === undefined || overrides.minDataInLeaf !== undefined ? merged : { ...merged, minDataInLeaf: cappedLeafMinimum(merged, trainRows) };
  return kind === 'binary' ? { ...base, objective: 'binary' } : { ...base, objective: 'multiclass', numClass: classes };
}
