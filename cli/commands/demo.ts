/**
 * `meles demo`: flags → {@link runDemo} (pipeline/demo.ts, where the workflow lives) → a progress
 * bar on stderr and the A/B table on stdout (or everything as JSON with `--json`).
 */
import { Command, Option } from 'commander';
import { runDemo } from '../../pipeline/demo.js';
import { DEMO_DEFAULTS, resolveDemoOptions, type DemoResult } from '../../pipeline/demo-options.js';
import { parseThreads } from '../../training/parallel/threads.js';
import { integerFlag } from '../flags.js';
import { stepProgress } from '../step-progress.js';

/** The flags as commander hands them over (numbers still as text). */
interface DemoFlags {
  readonly out: string;
  readonly clients: string;
  readonly epochs: string;
  readonly hidden: string;
  readonly trees: string;
  readonly sample: string;
  readonly seed: string;
  readonly threads: string;
  readonly quiet?: boolean;
  readonly json?: boolean;
}

/** Registers `meles demo`. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('generate → features → train → embed → compare → report, in this process (no Redis)')
    .addOption(new Option('--out <dir>', 'run directory').default(DEMO_DEFAULTS.out))
    .addOption(new Option('--clients <n>', 'synthetic clients').default(String(DEMO_DEFAULTS.clients)))
    .addOption(new Option('--epochs <n>', 'training epochs').default(String(DEMO_DEFAULTS.epochs)))
    .addOption(new Option('--hidden <n>', 'GRU hidden size (embedding width)').default(String(DEMO_DEFAULTS.hidden)))
    .addOption(new Option('--trees <n>', 'LightGBM trees per model').default(String(DEMO_DEFAULTS.trees)))
    .addOption(new Option('--sample <n>', 'most clients per embedding picture').default(String(DEMO_DEFAULTS.sample)))
    .addOption(new Option('--seed <n>', 'seed of everything').default(String(DEMO_DEFAULTS.seed)))
    .addOption(new Option('--threads <n>', 'training threads: a number, or auto (cores, at most 2)').default(String(DEMO_DEFAULTS.threads)))
    .option('--quiet', 'no progress output')
    .option('--json', 'print the A/B table, timings and file paths as JSON on stdout')
    .action(async (flags: DemoFlags) => {
      const options = resolveDemoOptions({
        out: flags.out,
        clients: integerFlag('--clients', flags.clients),
        epochs: integerFlag('--epochs', flags.epochs),
        hidden: integerFlag('--hidden', flags.hidden),
        trees: integerFlag('--trees', flags.trees),
        sample: integerFlag('--sample', flags.sample),
        seed: integerFlag('--seed', flags.seed),
        threads: parseThreads('--threads', flags.threads),
      });
      const json = flags.json === true;
      const progress = stepProgress({ quiet: flags.quiet === true || json });
      try {
        const result = await runDemo(options, {
          onProgress: (event) => (event.kind === 'step' ? progress.step(event.name, event.index, event.total) : progress.note(event.message)),
        });
        progress.stop();
        if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else if (flags.quiet !== true) process.stdout.write(closingNote(result));
      } finally {
        progress.stop();
      }
    });
}

function closingNote(result: DemoResult): string {
  const lines = result.table.map((r) => `  ${r.set.padEnd(22)} ${r.target} ${r.metric}: ${r.mean.toFixed(3)} ± ${r.halfWidth.toFixed(3)}`);
  return `meles demo finished in ${result.seconds.toFixed(0)} s\n${lines.join('\n')}\nreport: ${result.report}\n`;
}
