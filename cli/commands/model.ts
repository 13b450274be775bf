/**
 * `meles model publish RUN` and `meles model list`: the on-disk model registry that scheduled
 * embedding reads its latest model from.
 */
import { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { publishModel, readRegistry, type ScoreRequirement } from '../../pipeline/model-registry.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Registers `meles model`. */
export function register(program: Command): void {
  const model = program.command('model').description('publish trained models to a registry; list versions');

  model
    .command('publish')
    .description('copy a run\'s model into the registry as the next version and make it latest')
    .argument('<run>', 'pipeline output directory (with train/model) or a model directory')
    .option('--registry <dir>', 'model registry', 'runs/registry')
    .option('--require <target>=<min>', 'minimum mean score of the run\'s comparison, e.g. gender=0.6 (repeatable)', collect)
    .option('--set <name>', 'feature set whose scores count', 'meles')
    .action(async (run: string, flags: { registry: string; require?: string[]; set: string }) => {
      const require = (flags.require ?? []).map(parseRequirement);
      const version = await publishModel({ registry: flags.registry, run, require, set: flags.set });
      process.stdout.write(`${version.version}\n`);
      const passed = version.evaluation?.passed.length ? ` (passed: ${version.evaluation.passed.join('; ')})` : '';
      process.stderr.write(`published ${version.source} as ${version.version} in ${flags.registry}${passed}\n`);
    });

  model
    .command('list')
    .description('list published versions')
    .option('--registry <dir>', 'model registry', 'runs/registry')
    .option('--json', 'print JSON')
    .action(async (flags: { registry: string; json?: boolean }) => {
      const index = await readRegistry(flags.registry);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(index, null, 2)}\n`);
        return;
      }
      if (index.versions.length === 0) process.stdout.write('no published models\n');
      for (const v of index.versions) {
        const scores = v.evaluation?.scores.map((s) => `${s.target} ${s.metric} ${s.mean.toFixed(4)}`).join(', ') ?? 'no evaluation';
        process.stdout.write(`${v.version}${v.version === index.latest ? ' (latest)' : ''}  ${v.publishedAt}  ${v.source}  ${scores}\n`);
      }
    });
}

function parseRequirement(text: string): ScoreRequirement {
  const match = /^([^=]+)=(-?\d+(?:\.\d+)?)$/.exec(text);
  if (!match) throw new ConfigError(`Expected \`--require\` as target=minimum (e.g. gender=0.6), got \`${text}\``);
  return { target: match[1]!, min: Number(match[2]) };
}
