/**
 * `meles fit --features F[,F…] --targets FILE --id COL --target COL:kind --out MODEL_DIR`: one
 * LightGBM model on every labelled client, saved as a model directory for `meles score`.
 */
import { Command } from 'commander';
import { parseTargetSpec } from '../../data/label-file.js';
import { OVERRIDE_KEYS, type LightGBMOverrides } from '../../downstream/evaluation/lightgbm-defaults.js';
import { fitModel } from '../../downstream/scoring/fit-model.js';
import { ConfigError } from '../../errors.js';
import { pathListFlag } from '../flags.js';
import { checkOutputs, reportOutputs } from '../../data/output-guard.js';
import { expectInteger, expectKnownKeys } from '../../options.js';

interface FitFlags {
  readonly features: string;
  readonly targets: string;
  readonly id: string;
  readonly target: string;
  readonly out: string;
  readonly trees?: string;
  readonly params?: string;
  readonly seed: string;
  readonly evaluate?: boolean;
  readonly folds: string;
}

/** Registers `meles fit`. */
export function register(program: Command): void {
  const cmd = new Command('fit')
    .description('train LightGBM on all labelled clients (reference parameters per kind) and save model.txt + fit.json')
    .requiredOption('--features <files>', 'feature Arrow file(s), comma-separated, joined on the id column')
    .requiredOption('--targets <file>', 'label file (Arrow or .csv) with the id column and the target column')
    .requiredOption('--id <column>', 'client id column (same name in the label and feature files)')
    .requiredOption('--target <column:kind>', 'target and kind, binary or multiclass')
    .requiredOption('--out <dir>', 'model directory to write (model.txt, fit.json)')
    .option('--trees <n>', 'boosting iterations (default: the reference 500 binary / 1000 multiclass)')
    .option('--params <json>', 'LightGBM overrides, e.g. \'{"learningRate": 0.05, "numLeaves": 63}\'')
    .option('--seed <n>', 'seed of LightGBM (and of the --evaluate splits)', '42')
    .option('--evaluate', 'also run the evaluation protocol (test part + k-fold CV) and record its scores in fit.json')
    .option('--folds <n>', 'folds of --evaluate', '5')
    .action(async (flags: FitFlags) => {
      await checkOutputs(reportOutputs('--out', flags.out, ['model.txt', 'fit.json']), [{ flag: '--targets', path: flags.targets }, ...pathListFlag('--features', flags.features).map((path) => ({ flag: '--features', path }))]);
      const { fit, warnings, leafMinimum } = await fitModel({
        features: pathListFlag('--features', flags.features),
        targets: flags.targets,
        idColumn: flags.id,
        target: parseTargetSpec(flags.target),
        out: flags.out,
        ...(flags.trees === undefined ? {} : { trees: expectInteger('--trees', Number(flags.trees), 1) }),
        params: parseOverrides(flags.params),
        seed: expectInteger('--seed', Number(flags.seed), 0, 2 ** 31 - 1),
        evaluate: flags.evaluate === true,
        folds: expectInteger('--folds', Number(flags.folds), 2),
        onProgress: process.env.MELES_QUIET === '1' ? undefined : (m) => process.stderr.write(`${m}\n`),
      });
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      const leaf = leafMinimum === null ? '' : `, min_data_in_leaf ${leafMinimum.to} (lowered from ${leafMinimum.from} for ${leafMinimum.trainRows} training rows)`;
      const scores = fit.evaluation?.metrics.map((m) => ` ${m.metric} ${m.test.mean?.toFixed(4) ?? '-'} ± ${m.test.halfWidth?.toFixed(4) ?? '-'}`).join(',') ?? '';
      process.stdout.write(`wrote ${flags.out}: ${fit.target} (${fit.kind}, ${fit.classes.length} classes), ${fit.rows} clients × ${fit.features.length} features, ${fit.trees} trees${leaf}${scores}\n`);
    });
  program.addCommand(cmd);
}

/** `--params` as LightGBM overrides (values are validated when the parameters are resolved). */
function parseOverrides(text: string | undefined): LightGBMOverrides {
  if (text === undefined) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Expected \`--params\` to be JSON, ${(error as Error).message}`, { cause: error });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`Expected \`--params\` to be a JSON object like {"learningRate": 0.05}, got \`${text}\``);
  expectKnownKeys('`--params`', raw, OVERRIDE_KEYS);
  return raw as LightGBMOverrides;
}

