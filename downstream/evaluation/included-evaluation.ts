/**
 * Rows evaluated elsewhere under the same protocol (`evaluation.json` of `meles evaluate-model`:
 * a supervised or fine-tuned sequence model) joining a comparison (`meles compare --include DIR`).
 * They may share the table and the paired t-tests only if they were scored on the same clients:
 * the protocol settings must be equal (checked before anything runs) and, per target, the split
 * fingerprint (checked as soon as the comparison has planned its own splits, before training).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../../data/json-file.js';
import { ConfigError } from '../../errors.js';
import type { TargetSpec } from '../../data/label-file.js';
import type { EvaluationProtocol, EvaluationResult, TargetSplit } from './evaluate-types.js';
import { fingerprintDifference } from './split-plan.js';

/** An `evaluation.json` read back, with where it came from. */
export interface IncludedEvaluation {
  /** The `evaluation.json` path (named in messages and recorded in the report). */
  readonly path: string;
  /** Its content: protocol, per-target splits with fingerprints, rows. */
  readonly result: EvaluationResult<EvaluationProtocol>;
}

/** NaN and ±Infinity were written as null by JSON.stringify. */
const score = z.number().nullable().transform((v) => v ?? NaN);
const summary = z.object({ mean: score, std: score, halfWidth: score });
const digest = z.string().regex(/^[0-9a-f]{64}$/);
const kind = z.enum(['binary', 'multiclass']);
const metric = z.enum(['accuracy', 'auroc']);

const evaluationSchema = z.looseObject({
  protocol: z.looseObject({
    folds: z.number().int().min(2),
    testFraction: z.number().min(0).max(0.9),
    seed: z.number().int().min(0),
    labelFraction: z.number().gt(0).max(1).optional(),
  }),
  splits: z.array(z.object({
    target: z.string().min(1),
    kind,
    classes: z.array(z.string()),
    labelled: z.number().int(),
    used: z.number().int(),
    test: z.number().int(),
    fingerprint: z.object({
      sha256: digest,
      clients: z.number().int(),
      test: digest,
      folds: z.array(digest),
      training: z.array(digest),
    }),
  })).min(1),
  results: z.array(z.object({
    set: z.string().min(1),
    target: z.string().min(1),
    kind,
    features: z.number().int(),
    metrics: z.array(z.object({
      metric,
      foldScores: z.array(score),
      testScores: z.array(score),
      valid: summary,
      test: summary,
    })).min(1),
    seconds: z.number(),
    topFeatures: z.array(z.object({ name: z.string(), gainShare: z.number() })),
  })).min(1),
  warnings: z.array(z.string()).default([]),
}).transform((r) => ({ ...r, comparisons: [] }));

/**
 * Reads `DIR/evaluation.json` (or the file itself when `path` ends in `.json`).
 * @throws ConfigError when the file is missing (a wrong `--include`); DataFormatError naming the
 *   file and field when it is not an evaluation.
 */
export async function readIncludedEvaluation(path: string): Promise<IncludedEvaluation> {
  const file = path.endsWith('.json') ? path : join(path, 'evaluation.json');
  const result = await readJsonFile(file, 'an evaluation (evaluation.json of meles evaluate-model)', evaluationSchema, {
    unreadableErrorClass: ConfigError,
    unreadableHint: 'expected the output directory of `meles evaluate-model`',
  });
  for (const r of result.results) {
    const split = result.splits.find((s) => s.target === r.target);
    const folds = result.protocol.folds;
    if (split === undefined || r.metrics.some((m) => m.foldScores.length !== folds)) {
      throw new ConfigError(`${file}: row \`${r.set}\` / \`${r.target}\` has no split or not one score per fold (${folds} folds)`);
    }
  }
  return { path: file, result };
}

/**
 * Checks, before the comparison runs, that every included run used the comparison's protocol
 * settings, evaluated only targets the comparison has, and adds no row name twice.
 * @throws ConfigError naming the file and the first setting, target or name that differs.
 */
export function checkIncludedBeforeRun(
  protocol: Required<EvaluationProtocol>,
  targets: readonly TargetSpec[],
  setNames: readonly string[],
  included: readonly IncludedEvaluation[],
): void {
  const names = new Set(setNames);
  for (const { path, result } of included) {
    const theirs: Required<EvaluationProtocol> = { labelFraction: 1, ...result.protocol };
    for (const [key, flag] of [['folds', '--folds'], ['testFraction', '--test-fraction'], ['seed', '--seed'], ['labelFraction', '--label-fraction']] as const) {
      if (theirs[key] !== protocol[key]) {
        throw new ConfigError(`--include ${path}: the included run used ${flag} ${theirs[key]}, this comparison ${protocol[key]}; rows can share a table only under the same protocol`);
      }
    }
    for (const split of result.splits) {
      const ours = targets.find((t) => t.column === split.target);
      if (ours === undefined) throw new ConfigError(`--include ${path}: the included run evaluated target \`${split.target}\`, which this comparison does not (${targets.map((t) => t.column).join(', ')})`);
      if (ours.kind !== split.kind) throw new ConfigError(`--include ${path}: target \`${split.target}\` is ${split.kind} there and ${ours.kind} here`);
    }
    for (const set of new Set(result.results.map((r) => r.set))) {
      if (names.has(set)) throw new ConfigError(`--include ${path}: row \`${set}\` is already in the comparison; rename it (meles evaluate-model --name)`);
      names.add(set);
    }
  }
}

/**
 * The `checkSplit` hook of the comparison: refuses a target whose included split differs from the
 * comparison's own (other labelled clients, another test part, other folds or subsamples).
 * @throws ConfigError naming the file, the target and what differs.
 */
export function checkIncludedSplit(split: TargetSplit, included: readonly IncludedEvaluation[]): void {
  for (const { path, result } of included) {
    const theirs = result.splits.find((s) => s.target === split.target);
    if (theirs === undefined) continue;
    if (theirs.classes.join('\u0000') !== split.classes.join('\u0000')) {
      throw new ConfigError(`--include ${path}: target \`${split.target}\` has classes ${theirs.classes.join(', ')} there and ${split.classes.join(', ')} here`);
    }
    const difference = fingerprintDifference(split.fingerprint, theirs.fingerprint);
    if (difference !== undefined) {
      throw new ConfigError(
        `--include ${path}: target \`${split.target}\`: the included run saw different clients than this comparison — ${difference} differ` +
          ` (split fingerprint ${theirs.fingerprint.sha256.slice(0, 12)}… there, ${split.fingerprint.sha256.slice(0, 12)}… here);` +
          ' use the same label file, data clients and protocol flags',
      );
    }
  }
}
