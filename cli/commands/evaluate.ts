/**
 * `meles evaluate --targets FILE [--id COL] --target COL:kind --features F[,F…] [--baseline F[,F…]] --out DIR`:
 * the embeddings-validation protocol for one feature set (optionally t-tested against a baseline
 * set). The flags it shares with `meles compare` are in `cli/evaluation-flags.ts`.
 */
import { Command } from 'commander';
import type { FeatureSetSpec } from '../../downstream/evaluation/evaluate-types.js';
import { checkOutputs, reportOutputs } from '../../data/output-guard.js';
import { addEvaluationOptions, evaluationOptions, runAndReport, splitPaths, type EvaluationFlags } from '../evaluation-flags.js';

/** Re-exported for `fit`/`score`, which import it from here; new code imports `cli/evaluation-flags.ts`. */
export { splitPaths };

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
      await checkOutputs(reportOutputs('--out', flags.out, ['report.json', 'report.md', 'report.html']), [{ flag: '--targets', path: flags.targets }, ...sets.flatMap((s) => s.paths.map((path) => ({ flag: `--${s.name}`, path })))]);
      await runAndReport(await evaluationOptions(flags, sets, flags.baseline === undefined ? undefined : 'baseline'), flags.out);
    });
  program.addCommand(cmd);
}
