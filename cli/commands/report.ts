/**
 * `meles report RUN_DIR`: rebuilds `RUN_DIR/report.html` and its PNGs from the files of a run
 * directory (layout in report/run/run-layout.ts).
 */
import { Command, Option } from 'commander';
import { buildReport } from '../../report/run/build-report.js';
import type { ScorePart } from '../../report/run/comparison.js';
import { integerFlag } from '../flags.js';
import { stepProgress } from '../step-progress.js';

interface ReportFlags {
  readonly sample: string;
  readonly seed: string;
  readonly tsneSteps: string;
  readonly part: ScorePart;
  readonly quiet?: boolean;
  readonly json?: boolean;
}

/** Registers `meles report`. */
export function register(program: Command): void {
  program
    .command('report')
    .description('rebuild report.html and the PNG charts of a run directory (needs RUN_DIR/run.json)')
    .argument('<run-dir>', 'run directory, e.g. runs/demo')
    .addOption(new Option('--sample <n>', 'most clients per embedding picture').default('1000'))
    .addOption(new Option('--seed <n>', 'seed of the sample, UMAP and t-SNE').default('42'))
    .addOption(new Option('--tsne-steps <n>', 't-SNE gradient steps').default('300'))
    .addOption(new Option('--part <part>', 'scores in the A/B table: isolated test part or out-of-fold').choices(['test', 'valid']).default('test'))
    .option('--quiet', 'no progress output')
    .option('--json', 'print what was written as JSON on stdout')
    .action(async (runDir: string, flags: ReportFlags) => {
      const progress = stepProgress({ quiet: flags.quiet === true || flags.json === true });
      try {
        const built = await buildReport(runDir, {
          sample: integerFlag('--sample', flags.sample),
          seed: integerFlag('--seed', flags.seed),
          tsneSteps: integerFlag('--tsne-steps', flags.tsneSteps),
          part: flags.part,
          onStep: (name, index, total) => progress.step(name, index, total),
        });
        progress.stop();
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ html: built.html, pngs: built.pngs, timings: built.timings }, null, 2)}\n`);
        } else if (!flags.quiet) {
          process.stdout.write(`wrote ${built.html} and ${built.pngs.length} PNGs\n`);
        }
      } finally {
        progress.stop();
      }
    });
}
