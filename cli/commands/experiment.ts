/**
 * `meles experiment NAME --out DIR [--scale small|full] [--data FILE --schema FILE --targets FILE
 * --target COL:kind … --id COL]`: flags → `runExperiment` (pipeline/experiments/, where the
 * workflow lives) → `DIR/NAME.json`, `NAME.md`, `NAME.html`, a progress bar on stderr and the table
 * on stdout.
 */
import { Command, Option } from 'commander';
import { parseTargetSpec } from '../../data/label-file.js';
import { ConfigError } from '../../errors.js';
import { resolveExperimentOptions, type ExperimentResult, type UserData } from '../../pipeline/experiments/experiment-options.js';
import { EXPERIMENT_NAMES } from '../../pipeline/experiments/experiment-types.js';
import { runExperiment } from '../../pipeline/experiments/run-experiment.js';
import { stepProgress } from '../step-progress.js';

/** The flags as commander hands them over. */
interface ExperimentFlags {
  readonly out: string;
  readonly scale: string;
  readonly data?: string;
  readonly schema?: string;
  readonly targets?: string;
  readonly id?: string;
  readonly target?: string[];
  readonly quiet?: boolean;
  readonly json?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Registers `meles experiment`. */
export function register(program: Command): void {
  program
    .command('experiment')
    .description(`re-run a table of the MeLES lecture with real trainings and LightGBM: ${EXPERIMENT_NAMES.join(', ')}`)
    .argument('<name>', `experiment: ${EXPERIMENT_NAMES.join(' | ')}`)
    .requiredOption('--out <dir>', 'output directory: NAME.json, NAME.md, NAME.html, and the cached trainings')
    .addOption(new Option('--scale <scale>', 'small (minutes to an hour per table on 2 cores; see docs/RESULTS.md) or full (closer to the lecture)').default('small'))
    .option('--data <file>', 'your transactions file instead of generated data (needs --schema, --targets, --target)')
    .option('--schema <file>', 'schema mapping JSON of --data')
    .option('--targets <file>', 'label file (Arrow or .csv) of --data')
    .option('--id <column>', 'id column of the label file and the feature files (default: the schema\'s id)')
    .option('--target <column:kind>', 'target and kind, binary or multiclass (repeatable; one table column each)', collect)
    .option('--quiet', 'no progress output')
    .option('--json', 'print the table, timings and file paths as JSON on stdout')
    .action(async (name: string, flags: ExperimentFlags) => {
      const options = resolveExperimentOptions({ name, out: flags.out, scale: flags.scale, ...userData(flags), command: commandLine(name, flags) });
      const json = flags.json === true;
      const progress = stepProgress({ quiet: flags.quiet === true || json });
      try {
        const result = await runExperiment(options, {
          onProgress: (event) => (event.kind === 'step' ? progress.step(event.name, event.index, event.total) : progress.note(event.message)),
        });
        progress.stop();
        if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else if (flags.quiet !== true) process.stdout.write(closingNote(name, result));
      } finally {
        progress.stop();
      }
    });
}

/** The user's data from `--data/--schema/--targets/--target/--id`, all or none. */
function userData(flags: ExperimentFlags): { data?: UserData } {
  const given = [flags.data, flags.schema, flags.targets, flags.target].some((v) => v !== undefined);
  if (!given) {
    if (flags.id !== undefined) throw new ConfigError('`--id` names a column of your label file: use it with `--data`, `--schema`, `--targets` and `--target`');
    return {};
  }
  if (flags.data === undefined || flags.schema === undefined || flags.targets === undefined || flags.target === undefined) {
    throw new ConfigError('Your own data needs all of `--data FILE --schema FILE --targets FILE --target COLUMN:kind` (and optionally `--id COLUMN`)');
  }
  return {
    data: {
      transactions: flags.data,
      schema: flags.schema,
      targets: flags.targets,
      ...(flags.id === undefined ? {} : { id: flags.id }),
      targetColumns: flags.target.map(parseTargetSpec),
    },
  };
}

/** The command as the table records it (flags in a fixed order, so the same run prints the same line). */
function commandLine(name: string, flags: ExperimentFlags): string {
  const parts = ['meles experiment', name, '--out', flags.out, '--scale', flags.scale];
  if (flags.data !== undefined) parts.push('--data', flags.data, '--schema', flags.schema ?? '', '--targets', flags.targets ?? '');
  if (flags.id !== undefined) parts.push('--id', flags.id);
  for (const t of flags.target ?? []) parts.push('--target', t);
  return parts.join(' ');
}

function closingNote(name: string, result: ExperimentResult): string {
  const lines = result.table.map((r) => {
    const at = r.fraction === undefined ? '' : ` @ ${Number((r.fraction * 100).toPrecision(3))}%`;
    return `  ${r.method.padEnd(34)}${at} ${r.target} ${r.metric}: ${r.mean.toFixed(3)} ± ${r.halfWidth.toFixed(3)}`;
  });
  const t = result.trainings;
  const m = result.modelRows;
  const models = m.ran + m.reused === 0 ? '' : `; ${m.ran} sequence-model rows evaluated, ${m.reused} reused`;
  return `meles experiment ${name} finished in ${result.seconds.toFixed(0)} s (${t.ran} trainings run, ${t.reused} reused${models})\n${lines.join('\n')}\ntable: ${result.files.markdown}\n`;
}
