/**
 * `meles evaluate --targets FILE --id COL --target COL:kind --features F[,F…] [--baseline F[,F…]] --out DIR`:
 * the embeddings-validation protocol for one feature set (optionally t-tested against a baseline
 * set). Also exports the flags and parsing shared with `meles compare`.
 */
import { Command } from 'commander';
import { compareFeatureSets, type CompareOptions } from '../../downstream/evaluation/compare.js';
import { writeCompareReport } from '../../report/comparison-files.js';
import type { FeatureSetSpec } from '../../downstream/evaluation/evaluate-types.js';
import { FAST_ITERATIONS, OVERRIDE_KEYS, type LightGBMOverrides } from '../../downstream/evaluation/lightgbm-defaults.js';
import { parseTargetSpec, type TargetKind } from '../../data/label-file.js';
import { ConfigError } from '../../errors.js';
import { expectKnownKeys } from '../../options.js';

/** Flags shared by `evaluate` and `compare`. */
export interface EvaluationFlags {
  readonly targets: string;
  readonly id: string;
  readonly target: string[];
  readonly out: string;
  readonly folds: string;
  readonly testFraction: string;
  readonly seed: string;
  readonly fast?: boolean;
  readonly numIterations?: string;
  readonly params?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Adds the protocol flags to `cmd`. */
export function addEvaluationOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--targets <file>', 'label file (Arrow or .csv) with the id column and target columns')
    .requiredOption('--id <column>', 'client id column (same name in the label and feature files)')
    .requiredOption('--target <column:kind>', 'target and kind, binary or multiclass (repeatable)', collect)
    .requiredOption('--out <dir>', 'output directory for report.json, report.md, report.html')
    .option('--folds <n>', 'stratified cross-validation folds', '5')
    .option('--test-fraction <x>', 'share of labelled clients isolated as the test part', '0.1')
    .option('--seed <n>', 'seed of the splits and LightGBM', '42')
    .option('--fast', `quick run: ${FAST_ITERATIONS} trees instead of the reference 1000 (multiclass) / 500 (binary)`)
    .option('--num-iterations <n>', 'trees per model (overrides the reference and --fast)')
    .option('--params <json>', 'LightGBM overrides per kind, e.g. \'{"binary": {"learningRate": 0.05}}\'');
}

/** Splits `a.arrow,b.arrow` into paths. */
export function splitPaths(value: string, flag: string): string[] {
  const paths = value.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  if (paths.length === 0) throw new ConfigError(`Expected \`${flag}\` to list one or more files separated by commas, got \`${value}\``);
  return paths;
}

/** Turns the shared flags plus the feature sets into evaluation options. */
export function evaluationOptions(flags: EvaluationFlags, featureSets: FeatureSetSpec[], baseline: string | undefined): CompareOptions {
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
    idColumn: flags.id,
    targets: flags.target.map(parseTargetSpec),
    featureSets,
    ...(baseline === undefined ? {} : { baseline }),
    folds: int('folds', flags.folds),
    testFraction,
    seed: int('seed', flags.seed),
    ...(numIterations === undefined ? {} : { numIterations }),
    params: parseParams(flags.params),
    onProgress: quiet ? undefined : (m) => process.stderr.write(`${m}\n`),
  };
}

function parseParams(text: string | undefined): Partial<Record<TargetKind, LightGBMOverrides>> {
  if (text === undefined) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
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

interface EvaluateFlags extends EvaluationFlags {
  readonly features: string;
  readonly baseline?: string;
}

/** Registers `meles evaluate`. */
export function register(program: Command): void {
  const cmd = new Command('evaluate')
    .description('LightGBM on features (embeddings, hand-crafted, …): isolated test part + stratified k-fold CV, mean ± t 95%')
    .requiredOption('--features <files>', 'feature Arrow file(s), comma-separated, joined on the id column');
  addEvaluationOptions(cmd)
    .option('--baseline <files>', 'baseline feature file(s) for a paired t-test')
    .action(async (flags: EvaluateFlags) => {
      const sets: FeatureSetSpec[] = [{ name: 'features', paths: splitPaths(flags.features, '--features') }];
      if (flags.baseline !== undefined) sets.unshift({ name: 'baseline', paths: splitPaths(flags.baseline, '--baseline') });
      await runAndReport(evaluationOptions(flags, sets, flags.baseline === undefined ? undefined : 'baseline'), flags.out);
    });
  program.addCommand(cmd);
}
