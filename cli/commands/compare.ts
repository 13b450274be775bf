/**
 * `meles compare --targets FILE [--id COL] --target age_group:multiclass --target gender:binary
 *   --set handcrafted=features.arrow --set meles=emb.arrow --set both=features.arrow,emb.arrow --out DIR`:
 * the A/B report, one table row per `--set`. `--id` names the id column of every file; without it
 * the id column recorded in the feature files is used (see `cli/evaluation-flags.ts`).
 */
import { Command } from 'commander';
import type { FeatureSetSpec } from '../../downstream/evaluation/evaluate-types.js';
import { ConfigError } from '../../errors.js';
import { addEvaluationOptions, evaluationOptions, runAndReport, splitPaths, type EvaluationFlags } from '../evaluation-flags.js';

interface CompareFlags extends EvaluationFlags {
  readonly set: string[];
  readonly baseline?: string;
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
    .option('--baseline <name>', 'set the others are t-tested against (default: the first --set)')
    .action(async (flags: CompareFlags) => {
      const sets = flags.set.map(parseSetSpec);
      await runAndReport(await evaluationOptions(flags, sets, flags.baseline ?? sets[0]!.name), flags.out);
    });
  program.addCommand(cmd);
}
