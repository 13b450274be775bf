/**
 * `meles report RUN_DIR`: rebuilds `RUN_DIR/report.html` and its PNGs from the files of a run
 * directory (layout in report/run/run-layout.ts). With `--embeddings` and `--targets` it reports on
 * a plain training run directory (`meles train --out RUN`, no run.json) instead
 * (report/run/training-run.ts).
 */
import { Command, Option } from 'commander';
import { buildReport, buildReportOf, type BuildReportOptions } from '../../report/run/build-report.js';
import type { ScorePart } from '../../report/run/comparison.js';
import { trainingRunInfo } from '../../report/run/training-run.js';
import { ConfigError } from '../../errors.js';
import { integerFlag, pathListFlag } from '../flags.js';
import { stepProgress } from '../step-progress.js';
import { checkOutputs } from '../../data/output-guard.js';

interface ReportFlags {
  readonly sample: string;
  readonly seed: string;
  readonly tsneSteps: string;
  readonly part: ScorePart;
  readonly embeddings?: string;
  readonly targets?: string;
  readonly id?: string;
  readonly target: string[];
  readonly out?: string;
  readonly quiet?: boolean;
  readonly json?: boolean;
}

/** Registers `meles report`. */
export function register(program: Command): void {
  program
    .command('report')
    .description('rebuild report.html and the PNG charts of a demo run directory (RUN_DIR/run.json), or of a training run with --embeddings and --targets')
    .argument('<run-dir>', 'run directory, e.g. runs/demo, or a `meles train --out` directory')
    .addOption(new Option('--sample <n>', 'most clients per embedding picture').default('1000'))
    .addOption(new Option('--seed <n>', 'seed of the sample, UMAP, t-SNE and TriMap').default('42'))
    .addOption(new Option('--tsne-steps <n>', 't-SNE gradient steps').default('300'))
    .addOption(new Option('--part <part>', 'scores in the A/B table: isolated test part or out-of-fold').choices(['test', 'valid']).default('test'))
    .option('--embeddings <files>', 'training run: embedding Arrow files (id + emb_*), comma-separated, e.g. from meles embed')
    .option('--targets <file>', 'training run: Arrow file with the id column and label columns')
    .option('--id <column>', 'training run: id column (default: the one the embedding files record)')
    .option('--target <column>', 'training run: label column to colour by, repeatable (default: every targets column)', collect, [])
    .option('--out <file>', 'where to write report.html (PNGs beside it; default RUN_DIR/report.html)')
    .option('--quiet', 'no progress output')
    .option('--json', 'print what was written as JSON on stdout')
    .action(async (runDir: string, flags: ReportFlags) => {
      const training = trainingFlags(flags);
      const options: BuildReportOptions = {
        sample: integerFlag('--sample', flags.sample),
        seed: integerFlag('--seed', flags.seed),
        tsneSteps: integerFlag('--tsne-steps', flags.tsneSteps),
        part: flags.part,
        ...(flags.out === undefined ? {} : { out: flags.out }),
      };
      // Flags are checked before any slow step, so a typo fails at once.
      const run = training === undefined ? undefined : await trainingRunInfo(runDir, training);
      await checkOutputs([{ flag: '<run-dir>', path: runDir, kind: 'folder' }], []); // report.html and PNGs go into it
      const progress = stepProgress({ quiet: flags.quiet === true || flags.json === true });
      try {
        const withProgress = { ...options, onStep: (name: string, index: number, total: number) => progress.step(name, index, total) };
        const built = run === undefined ? await buildReport(runDir, withProgress) : await buildReportOf(runDir, run, withProgress);
        progress.stop();
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ html: built.html, pngs: built.pngs, timings: built.timings, projections: built.content.projections }, null, 2)}\n`);
        } else if (!flags.quiet) {
          process.stdout.write(`wrote ${built.html} and ${built.pngs.length} PNGs\n`);
        }
      } finally {
        progress.stop();
      }
    });
}

/** The training-run flags, or undefined for a demo run; a half-given set is a ConfigError. */
function trainingFlags(flags: ReportFlags): { embeddings: string[]; targets: string; idColumn?: string; labels: string[] } | undefined {
  if (flags.embeddings === undefined && flags.targets === undefined) {
    const stray = flags.id !== undefined ? '--id' : flags.target.length > 0 ? '--target' : undefined;
    if (stray !== undefined) throw new ConfigError(`\`${stray}\` applies to a training run: also pass \`--embeddings FILES --targets FILE\``);
    return undefined;
  }
  if (flags.embeddings === undefined) throw new ConfigError('Expected `--embeddings FILES` with `--targets` (a training run needs both)');
  if (flags.targets === undefined) throw new ConfigError('Expected `--targets FILE` with `--embeddings` (a training run needs both)');
  return {
    embeddings: pathListFlag('--embeddings', flags.embeddings),
    targets: flags.targets,
    ...(flags.id === undefined ? {} : { idColumn: flags.id }),
    labels: flags.target,
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
