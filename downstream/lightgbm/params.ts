/**
 * LightGBM parameters as a typed, validated options object, turned into LightGBM's
 * `key=value` parameter string in one place.
 */
import { ConfigError } from '../../errors.js';
import { expectInteger, expectNumber, expectOneOf } from '../../options.js';

/** Learning task. `binary` predicts P(y = 1); `multiclass` predicts one probability per class. */
export type Objective = 'binary' | 'multiclass' | 'regression';

/** Metric LightGBM evaluates on the validation set (used for early stopping). */
export type Metric = 'auc' | 'binary_logloss' | 'binary_error' | 'multi_logloss' | 'multi_error' | 'l2' | 'l1';

/** Metrics where a larger value is better; all others are losses. */
const HIGHER_IS_BETTER: ReadonlySet<Metric> = new Set<Metric>(['auc']);

/** Whether early stopping should maximise `metric`. */
export function isHigherBetter(metric: Metric): boolean {
  return HIGHER_IS_BETTER.has(metric);
}

/** Booster parameters. Names follow LightGBM's Python/sklearn spelling in camelCase. */
export interface LightGBMParams {
  /** Learning task. */
  readonly objective: Objective;
  /** Number of classes; required for `multiclass` (>= 2), ignored otherwise. @defaultValue `1` */
  readonly numClass?: number;
  /** Metric on the validation set. @defaultValue `binary_logloss` / `multi_logloss` / `l2` by objective */
  readonly metric?: Metric;
  /** Shrinkage per tree. @defaultValue `0.1` */
  readonly learningRate?: number;
  /** Maximum leaves per tree. @defaultValue `31` */
  readonly numLeaves?: number;
  /** Maximum tree depth; `-1` means no limit. @defaultValue `-1` */
  readonly maxDepth?: number;
  /** Minimum rows per leaf. @defaultValue `20` */
  readonly minDataInLeaf?: number;
  /** Fraction of features sampled per tree, in (0, 1]. @defaultValue `1` */
  readonly featureFraction?: number;
  /**
   * Fraction of rows sampled (sklearn's `subsample`), in (0, 1]. Only takes effect with
   * `baggingFreq > 0`, exactly as in LightGBM itself. @defaultValue `1`
   */
  readonly baggingFraction?: number;
  /** Re-sample rows every k iterations; `0` disables bagging. @defaultValue `0` */
  readonly baggingFreq?: number;
  /** L1 regularisation. @defaultValue `0` */
  readonly lambdaL1?: number;
  /** L2 regularisation. @defaultValue `0` */
  readonly lambdaL2?: number;
  /** Histogram bins per feature. @defaultValue `255` */
  readonly maxBin?: number;
  /**
   * OpenMP threads. Measured on this shared 2-core machine (`npx tsx scripts/bench-lightgbm.ts`,
   * 20k × 32, 100 iterations, load average ~8): 1 thread 0.77–0.96 s, 2 threads 16–28 s, because
   * OpenMP workers spin-wait for a core that other processes hold. On an idle machine 2 threads
   * were ~1.4× faster (0.28 vs 0.39 s), which does not pay for that risk, so 1 is the default.
   * Since issue 16 the OpenMP workers wait passively (downstream/lightgbm/native.ts): at load 15,
   * 2000 × 200, 2 threads took 4.6–4.8 s against 5.6–5.9 s for 1 (multiclass 1800 × 80: the same
   * predictions with 1 and 2 threads); `meles demo` passes its `--threads`.
   * @defaultValue `1`
   */
  readonly numThreads?: number;
  /** Seed for LightGBM's own sampling (bagging, feature fraction). @defaultValue `42` */
  readonly seed?: number;
  /** Make results independent of thread scheduling (slightly slower). @defaultValue `true` */
  readonly deterministic?: boolean;
}

/** Parameters with every default filled in. */
export type ResolvedLightGBMParams = Required<LightGBMParams>;

const DEFAULT_METRIC: Readonly<Record<Objective, Metric>> = {
  binary: 'binary_logloss',
  multiclass: 'multi_logloss',
  regression: 'l2',
};

const METRICS_FOR: Readonly<Record<Objective, readonly Metric[]>> = {
  binary: ['auc', 'binary_logloss', 'binary_error'],
  multiclass: ['multi_logloss', 'multi_error'],
  regression: ['l2', 'l1'],
};

/** Spreads the defaults over `params` and validates every field (throws {@link ConfigError}). */
export function resolveLightGBMParams(params: LightGBMParams): ResolvedLightGBMParams {
  const objective = expectOneOf('objective', params.objective, ['binary', 'multiclass', 'regression'] as const);
  const resolved: ResolvedLightGBMParams = {
    numClass: 1,
    metric: DEFAULT_METRIC[objective],
    learningRate: 0.1,
    numLeaves: 31,
    maxDepth: -1,
    minDataInLeaf: 20,
    featureFraction: 1,
    baggingFraction: 1,
    baggingFreq: 0,
    lambdaL1: 0,
    lambdaL2: 0,
    maxBin: 255,
    numThreads: 1,
    seed: 42,
    deterministic: true,
    ...params,
  };
  if (objective === 'multiclass') expectInteger('numClass', resolved.numClass, 2);
  else if (resolved.numClass !== 1) {
    throw new ConfigError(`\`numClass\` must be 1 for objective \`${objective}\` (got ${resolved.numClass})`);
  }
  expectOneOf('metric', resolved.metric, METRICS_FOR[objective]);
  expectAbove0('learningRate', resolved.learningRate, Infinity);
  expectInteger('numLeaves', resolved.numLeaves, 2, 131072);
  expectInteger('maxDepth', resolved.maxDepth, -1);
  expectInteger('minDataInLeaf', resolved.minDataInLeaf, 0);
  expectAbove0('featureFraction', resolved.featureFraction, 1);
  expectAbove0('baggingFraction', resolved.baggingFraction, 1);
  expectInteger('baggingFreq', resolved.baggingFreq, 0);
  expectNumber('lambdaL1', resolved.lambdaL1, 0);
  expectNumber('lambdaL2', resolved.lambdaL2, 0);
  expectInteger('maxBin', resolved.maxBin, 2);
  expectInteger('numThreads', resolved.numThreads, 1, 256);
  expectInteger('seed', resolved.seed, 0, 2 ** 31 - 1);
  return resolved;
}

/** Like `expectNumber`, for ranges open at 0: (0, max]. */
function expectAbove0(name: string, value: unknown, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    const range = max === Infinity ? '> 0' : `in (0, ${max}]`;
    throw new ConfigError(`Expected \`${name}\` to be a finite number ${range}, got \`${String(value)}\` (${typeof value})`);
  }
}

/** LightGBM's own parameter string, e.g. `objective=binary learning_rate=0.1 …`. */
export function toParamString(p: ResolvedLightGBMParams): string {
  const pairs: [string, string | number][] = [
    ['objective', p.objective],
    ['metric', p.metric],
    ['learning_rate', p.learningRate],
    ['num_leaves', p.numLeaves],
    ['max_depth', p.maxDepth],
    ['min_data_in_leaf', p.minDataInLeaf],
    ['feature_fraction', p.featureFraction],
    ['bagging_fraction', p.baggingFraction],
    ['bagging_freq', p.baggingFreq],
    ['lambda_l1', p.lambdaL1],
    ['lambda_l2', p.lambdaL2],
    ['max_bin', p.maxBin],
    ['num_threads', p.numThreads],
    ['seed', p.seed],
    ['deterministic', p.deterministic ? 'true' : 'false'],
    // LightGBM prints warnings to stdout by default, which would corrupt CLI output.
    ['verbosity', -1],
  ];
  if (p.objective === 'multiclass') pairs.push(['num_class', p.numClass]);
  return pairs.map(([k, v]) => `${k}=${v}`).join(' ');
}
