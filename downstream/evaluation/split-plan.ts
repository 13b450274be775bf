/**
 * The split plan shared by every row of the evaluation protocol: LightGBM on feature sets
 * (`evaluateFeatureSets`) and neural models trained on the sequences
 * (`pipeline/workflows/neural-evaluation.ts`). Given the labelled clients in label-file order,
 * it isolates the stratified test part, deals the rest into stratified folds and picks each
 * fold's training clients (all of the other folds, or a stratified labelled fraction of them).
 *
 * The {@link SplitFingerprint} hashes which clients (by id text) landed where, so two runs can
 * prove they were scored on the same clients before their rows share a table or a t-test.
 */
import { createHash } from 'node:crypto';
import { expectInteger, expectNumber } from '../../options.js';
import { isolateTestPart, stratifiedKFold } from './folds.js';
import { expectLabelFraction, stratifiedSubsample, subsampleSeed } from './label-fraction.js';

/** The protocol settings a split plan depends on. */
export interface SplitSettings {
  /** Cross-validation folds. Minimum `2`. */
  readonly folds: number;
  /** Share of labelled clients isolated as the test part, in [0, 0.9]. */
  readonly testFraction: number;
  /** Seed of the test part, the folds and the labelled-fraction subsample. */
  readonly seed: number;
  /** Share of each fold's training clients trained on, in (0, 1]. @defaultValue `1` */
  readonly labelFraction?: number;
}

/**
 * sha256 digests (hex) of the clients in each part of a split, by id text (sorted, so the
 * digest does not depend on row order). Equal digests mean the same clients in the same parts.
 */
export interface SplitFingerprint {
  /** Digest of everything below. */
  readonly sha256: string;
  /** Labelled clients the plan covers. */
  readonly clients: number;
  /** Digest of the test part. */
  readonly test: string;
  /** Digest of each held-out fold, by fold index. */
  readonly folds: readonly string[];
  /** Digest of each fold model's training clients (after the labelled fraction), by fold index. */
  readonly training: readonly string[];
}

/** Rows (indices into the labelled clients) of every part of the protocol. */
export interface SplitPlan {
  /** The isolated test part, sorted. */
  readonly test: readonly number[];
  /** `folds[f]`: the held-out rows of fold f, sorted. */
  readonly folds: readonly (readonly number[])[];
  /** `training[f]`: the rows fold f's model learns from, sorted. */
  readonly training: readonly (readonly number[])[];
  /** Which clients landed where. */
  readonly fingerprint: SplitFingerprint;
}

/**
 * Plans the splits of one target.
 * @param ids - id text per labelled client, in label-file order (the order fixes the seeded draws).
 * @param labels - class index per labelled client, aligned with `ids`.
 * @throws ConfigError for settings out of range or fewer clients than folds.
 */
export function planSplits(ids: readonly string[], labels: Int32Array, settings: SplitSettings): SplitPlan {
  if (ids.length !== labels.length) throw new RangeError(`planSplits: ${ids.length} ids but ${labels.length} labels`);
  const folds = expectInteger('folds', settings.folds, 2);
  const testFraction = expectNumber('testFraction', settings.testFraction, 0, 0.9);
  const seed = expectInteger('seed', settings.seed, 0, 2 ** 31 - 1);
  const labelFraction = expectLabelFraction(settings.labelFraction ?? 1);
  const { test, rest } = isolateTestPart(labels, testFraction, seed);
  const foldRows = stratifiedKFold(labels, rest, folds, seed);
  const training = foldRows.map((_, f) => {
    const others = foldRows.flatMap((rows, g) => (g === f ? [] : rows));
    return stratifiedSubsample(labels, others, labelFraction, subsampleSeed(seed, f));
  });
  const digest = (rows: readonly number[]): string => sha256(JSON.stringify(rows.map((r) => ids[r]!).sort()));
  const parts = { test: digest(test), folds: foldRows.map(digest), training: training.map(digest) };
  return {
    test,
    folds: foldRows,
    training,
    fingerprint: { sha256: sha256(JSON.stringify(parts)), clients: ids.length, ...parts },
  };
}

/**
 * Where two fingerprints differ, as a phrase for messages (`the test part`, `fold 2's held-out
 * clients`, …), or `undefined` when they are equal.
 */
export function fingerprintDifference(ours: SplitFingerprint, theirs: SplitFingerprint): string | undefined {
  if (ours.sha256 === theirs.sha256) return undefined;
  if (ours.clients !== theirs.clients) return `the labelled clients (${theirs.clients} there, ${ours.clients} here)`;
  if (ours.test !== theirs.test) return 'the clients of the test part';
  if (ours.folds.length !== theirs.folds.length) return `the number of folds (${theirs.folds.length} there, ${ours.folds.length} here)`;
  const fold = ours.folds.findIndex((d, f) => d !== theirs.folds[f]);
  if (fold >= 0) return `the held-out clients of fold ${fold + 1}`;
  const trained = ours.training.findIndex((d, f) => d !== theirs.training[f]);
  if (trained >= 0) return `the training clients of fold ${trained + 1} (a different labelled-fraction subsample)`;
  return 'the split digest';
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
