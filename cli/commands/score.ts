/**
 * `meles score --model MODEL_DIR --features F[,F…] --out predictions.arrow [--id COL]`: applies a
 * `meles fit` model to feature files; columns are matched by name, extra columns are ignored.
 */
import { Command } from 'commander';
import { scoreModel } from '../../downstream/scoring/score-model.js';
import { pathListFlag } from '../flags.js';
import { addPartitionRunOptions, arePartitionedOutputs, refuseSubmitFlags, runPartitioned, wantsPartitionedOutput, type PartitionRunFlags } from '../partition-run.js';

interface ScoreFlags extends PartitionRunFlags {
  readonly model: string;
  readonly features: string;
  readonly out: string;
  readonly id?: string;
}

/** Registers `meles score`. */
export function register(program: Command): void {
  const cmd = new Command('score')
    .description('predict with a `meles fit` model: p_<class> columns and the predicted class, keyed by the input\'s id column')
    .requiredOption('--model <dir>', 'model directory written by `meles fit`')
    .requiredOption('--features <files>', 'feature Arrow file(s), comma-separated, in the order the model was fit with')
    .requiredOption('--out <file>', 'predictions Arrow file (must not be an input; when every --features is a partitioned output and --out has no file ending: a directory of parts + manifest.json)')
    .option('--id <column>', 'client id column of the feature files (default: the one the model was fit with)');
  addPartitionRunOptions(cmd).action(async (flags: ScoreFlags) => {
      const features = pathListFlag('--features', flags.features);
      if (wantsPartitionedOutput(flags.out, flags) && (await arePartitionedOutputs(features))) {
        const task = { kind: 'score' as const, model: flags.model, ...(flags.id === undefined ? {} : { idColumn: flags.id }) };
        return runPartitioned('score', task, [...features.map((path) => ({ flag: '--features', path })), { flag: '--model', path: flags.model }], flags.out, flags);
      }
      refuseSubmitFlags(flags, flags.features);
      const result = await scoreModel({
        model: flags.model,
        features,
        out: flags.out,
        ...(flags.id === undefined ? {} : { idColumn: flags.id }),
      });
      for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(`wrote ${flags.out}: ${result.rows} clients (${result.columns.join(', ')})\n`);
    });
  program.addCommand(cmd);
}
