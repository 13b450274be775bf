/**
 * Options and results of the evaluation protocol (`evaluateFeatureSets`), kept apart from the
 * procedure so reports and the pipeline can import the types alone.
 */
import type { LightGBMOverrides } from './lightgbm-defaults.js';
import type { MetricName } from './metrics.js';
import type { SplitFingerprint } from './split-plan.js';
import type { PairedTTest, ScoreSummary } from './stats.js';
import type { TargetKind, TargetSpec } from '../../data/label-file.js';
import type { FoldFitPool } from './fold-fit-pool.js';

/** A named feature set: one or more Arrow files joined on the client id. */
export interface FeatureSetSpec {
  /** Row label in reports, e.g. `handcrafted`, `meles`, `both`. */
  readonly name: string;
  /** Arrow files with the id column and numeric features. */
  readonly paths: readonly string[];
}

/** Options of `evaluateFeatureSets`. */
export interface EvaluateOptions {
  /** Label file (Arrow or CSV) with the id column and the target columns. */
  readonly targetsPath: string;
  /** Client id column, the same name in the label file and every feature file. */
  readonly idColumn: string;
  /** Targets to predict. Minimum: one. */
  readonly targets: readonly TargetSpec[];
  /** Feature sets to compare. Minimum: one. Names must be unique. */
  readonly featureSets: readonly FeatureSetSpec[];
  /** Name of the set the others are t-tested against. @defaultValue `undefined` (no tests) */
  readonly baseline?: string;
  /** Cross-validation folds. Minimum: `2`. @defaultValue `5` */
  readonly folds?: number;
  /** Share of labelled clients isolated as the test part, in [0, 0.9]. @defaultValue `0.1` */
  readonly testFraction?: number;
  /** Seed of the test split, the folds and LightGBM. @defaultValue `42` */
  readonly seed?: number;
  /**
   * Share of each fold's training clients the models learn from, in (0, 1]: a seeded stratified
   * subsample (the held fold and the test part stay whole). @defaultValue `1` (all; not recorded)
   */
  readonly labelFraction?: number;
  /** Trees per model, overriding the reference's 1000 (multiclass) / 500 (binary). @defaultValue `undefined` */
  readonly numIterations?: number;
  /** LightGBM parameters over the reference defaults, per target kind. @defaultValue `{}` */
  readonly params?: Partial<Record<TargetKind, LightGBMOverrides>>;
  /** Progress messages (one per trained model). @defaultValue `undefined` */
  readonly onProgress?: (message: string) => void;
  /** Checked before every training; when aborted the evaluation rejects with the signal's reason. @defaultValue `undefined` */
  readonly signal?: AbortSignal;
  /**
   * Called with every target's split after all targets are planned and before the first model is
   * trained; throwing stops the evaluation (`meles compare --include` refuses a run scored on
   * other clients this way, before any LightGBM time is spent). @defaultValue `undefined`
   */
  readonly checkSplit?: (split: TargetSplit) => void;
  /**
   * LightGBM fits run at once, each on its own worker thread (1: one after another in this
   * thread). Results do not depend on it. @defaultValue one per `numThreads` cores, at most 4
   * (`defaultParallelFits`)
   */
  readonly parallelFits?: number;
  /**
   * A fit pool the caller owns and closes, used instead of a new one of `parallelFits` threads
   * (then ignored): several evaluations share its threads, and with its `memoize` option a fit
   * one evaluation already made (or is making) is not made again. `meles demo` fits the
   * hand-crafted set while the encoder trains and compares all four sets later through one pool.
   * @defaultValue a pool of `parallelFits`, closed when the evaluation ends
   */
  readonly pool?: FoldFitPool;
  /** Join embedding files of one set made by different models (`readFeatureTable`'s `allowMixedModels`). @defaultValue `false` */
  readonly allowMixedModels?: boolean;
}

/** Scores of one metric over the folds. */
export interface MetricScores {
  /** Metric name. */
  readonly metric: MetricName;
  /** Score on the held-out fold, per fold. */
  readonly foldScores: readonly number[];
  /** Score on the isolated test part, per fold's model. */
  readonly testScores: readonly number[];
  /** Summary of `foldScores`. */
  readonly valid: ScoreSummary;
  /** Summary of `testScores` (the number ptls reports). */
  readonly test: ScoreSummary;
}

/** One feature set evaluated on one target. */
export interface SetTargetResult {
  /** Feature set name. */
  readonly set: string;
  /** Target column. */
  readonly target: string;
  /** Target kind. */
  readonly kind: TargetKind;
  /** Number of features. */
  readonly features: number;
  /** Metrics, the primary one first (accuracy for multiclass, AUROC for binary). */
  readonly metrics: readonly MetricScores[];
  /** Seconds the fold fits took, summed over the folds (with parallel fits more than the wall time). */
  readonly seconds: number;
  /** The features with the largest total split gain over the fold models (at most 10), largest first. */
  readonly topFeatures: readonly { readonly name: string; readonly gainShare: number }[];
}

/** A paired t-test of one set against the baseline, per target, metric and part. */
export interface BaselineComparison {
  /** Feature set compared. */
  readonly set: string;
  /** Baseline set. */
  readonly baseline: string;
  /** Target column. */
  readonly target: string;
  /** Metric compared. */
  readonly metric: MetricName;
  /** Whether fold or test scores were paired. */
  readonly part: 'valid' | 'test';
  /** The test (meanDiff = set − baseline). */
  readonly test: PairedTTest;
}

/** How the labelled clients of a target were used. */
export interface TargetSplit {
  /** Target column. */
  readonly target: string;
  /** Target kind. */
  readonly kind: TargetKind;
  /** Original class values, by class index. */
  readonly classes: readonly string[];
  /** Labelled clients in the label file. */
  readonly labelled: number;
  /** Labelled clients with features in every set (the rows evaluated). */
  readonly used: number;
  /** Of those, in the isolated test part. */
  readonly test: number;
  /** Which clients (by id text) landed in the test part, each fold and each fold's training set. */
  readonly fingerprint: SplitFingerprint;
}

/**
 * The settings every row of a comparison must share (LightGBM and neural rows alike); see
 * `split-plan.ts`.
 */
export interface EvaluationProtocol {
  /** Cross-validation folds. */
  readonly folds: number;
  /** Share of labelled clients in the test part. */
  readonly testFraction: number;
  /** Seed of the splits (and of LightGBM). */
  readonly seed: number;
  /** Share of each fold's training clients trained on; absent when all were (1). */
  readonly labelFraction?: number;
}

/** The protocol of LightGBM rows: the shared settings plus the trees per model. */
export interface LightGBMProtocol extends EvaluationProtocol {
  /** Trees per model, per target kind. */
  readonly numIterations: Readonly<Record<TargetKind, number>>;
}

/**
 * Everything an evaluation measured: `evaluateFeatureSets` (LightGBM rows, the default protocol
 * type) or the neural protocol runner (`evaluation.json` of `meles evaluate-model`).
 */
export interface EvaluationResult<P extends EvaluationProtocol = LightGBMProtocol> {
  /** Protocol settings actually used. */
  readonly protocol: P;
  /** Per target: class values and row counts. */
  readonly splits: readonly TargetSplit[];
  /** Per set and target. */
  readonly results: readonly SetTargetResult[];
  /** Paired t-tests against the baseline (empty without one). */
  readonly comparisons: readonly BaselineComparison[];
  /** Dropped ids, id-type mismatches, renamed columns. */
  readonly warnings: readonly string[];
}
