/**
 * The flags and parsing shared by `meles evaluate` and `meles compare`: label file, id column,
 * targets, protocol settings and LightGBM overrides, turned into {@link CompareOptions}; and
 * running a comparison and writing its report.
 *
 * One `--id` names the id column of every file (label file and feature files). Without it, the id
 * column recorded in the feature files' metadata (`meles features` and `meles embed` record it)
 * is used when every feature file records the same one.
 */
import type { Command } from 'commander';
import { compareFeatureSets, type CompareOptions } from '../downstream/evaluation/compare.js';
import type { FeatureSetSpec } from '../downstream/evaluation/evaluate-types.js';
import { expectLabelFraction } from '../downstream/evaluation/label-fraction.js';
import { FAST_ITERATIONS, OVERRIDE_KEYS, type LightGBMOverrides } from '../downstream/evaluation/lightgbm-defaults.js';
import { readRecordedIdColumn } from '../data/keyed-table.js';
import { parseTargetSpec, type TargetKind } from '../data/label-file.js';
import { ConfigError } from '../errors.js';
import { expectInteger, expectKnownKeys } from '../options.js';
import { writeCompareReport } from '../report/comparison-files.js';

/** Flags shared by `evaluate` and `compare`. */
export interface EvaluationFlags {
  /** Label file (Arrow or CSV). */
  readonly targets: string;
  /** Id column of every file. @defaultValue the id column recorded in the feature files */
  readonly id?: string;
  /** `column:kind` per target. */
  readonly target: string[];
  /** Output directory. */
  readonly out: string;
  /** @defaultValue `'5'` */
  readonly folds: string;
  /** @defaultValue `'0.1'` */
  readonly testFraction: string;
  /** @defaultValue `'42'` */
  readonly seed: string;
  /** Share of each fold's training clients to train on, in (0, 1]. @defaultValue all (`1`) */
  readonly labelFraction?: string;
  /** @defaultValue `false` */
  readonly fast?: boolean;
  /** @defaultValue the reference per kind, or the fast count with `--fast` */
  readonly numIterations?: string;
  /** LightGBM overrides as JSON. @defaultValue none */
  readonly params?: string;
  /** Join embedding files of one set made by different models. @defaultValue `false` */
  readonly allowMixedModels?: boolean;
  /** LightGBM fits at once, each on a worker thread. @defaultValue one per `numThreads` cores, at most 4 */
  readonly parallelFits?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Adds the protocol flags to `cmd`. */
export function addEvaluationOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--targets <file>', 'label file (Arrow or .csv) with the id column and target columns')
    .option('--id <column>', 'client id column of the label file and every feature file (default: the id column the feature files record)')
    .requiredOption('--target <column:kind>', 'target and kind, binary or multiclass (repeatable)', collect)
    .requiredOption('--out <dir>', 'output directory for report.json, report.md, report.html')
    .option('--folds <n>', 'stratified cross-validation folds', '5')
    .option('--test-fraction <x>', 'share of labelled clients isolated as the test part', '0.1')
    .option('--seed <n>', 'seed of the splits and LightGBM', '42')
    .option('--label-fraction <x>', "share of each fold's training clients to train on, in (0, 1]: a seeded stratified subsample (held fold and test part unchanged)")
    .option('--fast', `quick run: ${FAST_ITERATIONS} trees instead of the reference 1000 (multiclass) / 500 (binary)`)
    .option('--num-iterations <n>', 'trees per model (overrides the reference and --fast)')
    .option('--params <json>', 'LightGBM overrides per kind, e.g. \'{"binary": {"learningRate": 0.05}}\'')
    .option('--allow-mixed-models', 'join embedding files made by different models (their recorded meles.model_sha256 differ) instead of refusing')
    .option('--parallel-fits <n>', 'LightGBM fits at once, each on its own worker thread; results do not depend on it (default: one per numThreads cores, at most 4)');
}

/** Splits `a.arrow,b.arrow` into paths. */
export function splitPaths(value: string, flag: string): string[] {
  const paths = value.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  if (paths.length === 0) throw new ConfigError(`Expected \`${flag}\` to list one or more files separated by commas, got \`${value}\``);
  return paths;
}

/**
 * The id column: `--id` when given, else the one every feature file records in its metadata.
 * @throws ConfigError when `--id` is missing and a feature file records none, or files disagree.
 */
export async function resolveIdColumn(id: string | undefined, featureSets: readonly FeatureSetSpec[]): Promise<string> {
  if (id !== undefined) return id;
  const paths = [...new Set(featureSets.flatMap((s) => s.paths))];
  const recorded = await Promise.all(paths.map(async (path) => ({ path, column: await readRecordedIdColumn(path) })));
  const without = recorded.find((r) => r.column === undefined);
  if (without !== undefined) {
    throw new ConfigError(`Expected \`--id COLUMN\`: ${without.path} does not record its id column (written by another tool or an older meles)`);
  }
  const columns = [...new Set(recorded.map((r) => r.column!))];
  if (columns.length > 1) {
    throw new ConfigError(`Expected \`--id COLUMN\`: the feature files record different id columns (${recorded.map((r) => `${r.path}: \`${r.column}\``).join(', ')})`);
  }
  return columns[0]!;
}

/** Turns the shared flags plus the feature sets into evaluation options. */
export async function evaluationOptions(flags: EvaluationFlags, featureSets: FeatureSetSpec[], baseline: string | undefined): Promise<CompareOptions> {
  const int = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n)) throw new ConfigError(`Expected \`--${name}\` to be an integer, got \`${text}\``);
    return n;
  };
  const testFraction = Number(flags.testFraction);
  if (!Number.isFinite(testFraction)) throw new ConfigError(`Expected \`--test-fraction\` to be a number, got \`${flags.testFraction}\``);
  const numIterations = flags.numIterations !== undefined ? int('num-iterations', flags.numIterations) : flags.fast ? FAST_ITERATIONS : undefined;
  const quiet = process.env.MELES_QUIET === '1';
  return {
    targetsPath: flags.targets,
    idColumn: await resolveIdColumn(flags.id, featureSets),
    targets: flags.target.map(parseTargetSpec),
    featureSets,
    ...(baseline === undefined ? {} : { baseline }),
    folds: int('folds', flags.folds),
    testFraction,
    seed: int('seed', flags.seed),
    ...(flags.labelFraction === undefined ? {} : { labelFraction: parseLabelFraction(flags.labelFraction) }),
    ...(numIterations === undefined ? {} : { numIterations }),
    params: parseParams(flags.params),
    ...(flags.allowMixedModels === true ? { allowMixedModels: true } : {}),
    ...(flags.parallelFits === undefined ? {} : { parallelFits: expectInteger('--parallel-fits', flagNumber(flags.parallelFits), 1, 64) }),
    onProgress: quiet ? undefined : (m) => process.stderr.write(`${m}\n`),
  };
}

/**
 * Parses `--label-fraction` (shared with `meles evaluate-model`).
 * @throws ConfigError unless the text is a number in (0, 1].
 */
export function parseLabelFraction(text: string): number {
  return expectLabelFraction(text.trim() === '' ? NaN : Number(text), '--label-fraction');
}

function parseParams(text: string | undefined): Partial<Record<TargetKind, LightGBMOverrides>> {
  if (text === undefined) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text); // a flag's text, not a file: the JSON-file reader does not apply
  } catch (error) {
    throw new ConfigError(`Expected \`--params\` to be JSON, ${(error as Error).message}`, { cause: error });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('Expected `--params` to be a JSON object {"binary": {...}, "multiclass": {...}}');
  expectKnownKeys('`--params`', raw, ['binary', 'multiclass']);
  for (const [kind, value] of Object.entries(raw)) {
    if (typeof value !== 'object' || value === null) throw new ConfigError(`Expected \`--params.${kind}\` to be an object`);
    expectKnownKeys(`\`--params.${kind}\``, value, OVERRIDE_KEYS);
  }
  // Values are validated by resolveLightGBMParams before the first training.
  return raw as Partial<Record<TargetKind, LightGBMOverrides>>;
}

/** Runs the comparison, writes the reports and prints where they are plus the warnings. */
export async function runAndReport(options: CompareOptions, out: string): Promise<void> {
  const result = await compareFeatureSets(options);
  for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
  const files = await writeCompareReport(result, out);
  process.stdout.write(`wrote ${files.json}, ${files.markdown}, ${files.html}\n`);
}

/** A flag's text as a number, or the text itself when it is not one (so the message shows what was typed). */
function flagNumber(text: string): number | string {
  const n = Number(text);
  return text.trim() === '' || Number.isNaN(n) ? text : n;
}
