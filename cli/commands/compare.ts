/**
 * `meles compare --targets FILE [--id COL] --target age_group:multiclass --target gender:binary
 *   --set handcrafted=features.arrow --set meles=emb.arrow --set both=features.arrow,emb.arrow
 *   [--include EVAL_DIR …] [--label-fraction x] --out DIR`:
 * the A/B report, one table row per `--set` plus the rows of each included `meles evaluate-model`
 * run (refused unless its protocol and split fingerprints equal this comparison's). `--id` names the id column of every file; without it
 * the id column recorded in the feature files is used (see `cli/evaluation-flags.ts`).
 */
import { Command } from 'commander';
import type { FeatureSetSpec } from '../../downstream/evaluation/evaluate-types.js';
import { readIncludedEvaluation } from '../../downstream/evaluation/included-evaluation.js';
import { ConfigError } from '../../errors.js';
import { checkOutputs, reportOutputs } from '../../data/output-guard.js';
import { addEvaluationOptions, evaluationOptions, runAndReport, splitPaths, type EvaluationFlags } from '../evaluation-flags.js';

interface CompareFlags extends EvaluationFlags {
  readonly set: string[];
  readonly baseline?: string;
  readonly include?: string[];
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Parses `name=a.arrow,b.arrow`. */
export function parseSetSpec(spec: string): FeatureSetSpec {
  const at = spec.indexOf('=');
  if (at <= 0) throw new ConfigError(`Expected \`--set\` as name=file[,file…], got \`${spec}\``);
  return { name: spec.slice(0, at), paths: splitPaths(spec.slice(at + 1), `--set ${spec.slice(0, at)}`) };
}

/** Registers `meles compare`. */
export function register(program: Command): void {
  const cmd = new Command('compare')
    .description('A/B report: every feature set × target with the same splits → report.json, report.md, report.html')
    .requiredOption('--set <name=files>', 'a feature set: name=file[,file…] joined on the id (repeatable; one table row each)', collect);
  addEvaluationOptions(cmd)
    .option('--baseline <name>', 'row the others are t-tested against, a --set or an included row (default: the first --set)')
    .option('--include <dir>', 'add the rows of `meles evaluate-model --out DIR` (DIR/evaluation.json); its protocol and splits must equal this comparison\'s (repeatable)', collect)
    .action(async (flags: CompareFlags) => {
      const sets = flags.set.map(parseSetSpec);
      await checkOutputs(reportOutputs('--out', flags.out, ['report.json', 'report.md', 'report.html']), [{ flag: '--targets', path: flags.targets }, ...sets.flatMap((s) => s.paths.map((path) => ({ flag: `--set ${s.name}`, path })))]);
      // Read (and so validate) included runs before any evaluation: a wrong path fails in a second.
      const include = await Promise.all((flags.include ?? []).map(readIncludedEvaluation));
      const options = await evaluationOptions(flags, sets, flags.baseline ?? sets[0]!.name);
      await runAndReport({ ...options, include }, flags.out);
    });
  program.addCommand(cmd);
}
