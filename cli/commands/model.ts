/**
 * `meles model publish|list|pin|unpin|rollback`: the on-disk model registry that scheduled
 * embedding reads its model from (the pinned version, else the latest).
 */
import { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import {
  pinModel, previousVersion, publishModel, readRegistry, rollbackModel, unpinModel, type RegistryIndex, type ScoreRequirement,
} from '../../pipeline/model-registry.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Registers `meles model`. */
export function register(program: Command): void {
  const model = program.command('model').description('publish trained models to a registry; list, pin and roll back versions');

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
        process.stdout.write(`${JSON.stringify({ ...index, previous: previousVersion(index) }, null, 2)}\n`);
        return;
      }
      process.stdout.write(formatRegistry(index));
    });

  model
    .command('pin')
    .description('make schedules that follow the registry use VERSION until `meles model unpin`')
    .argument('<version>', 'a published version, e.g. v3')
    .option('--registry <dir>', 'model registry', 'runs/registry')
    .action(async (version: string, flags: { registry: string }) => {
      await pinModel(flags.registry, version);
      process.stderr.write(`pinned ${version} in ${flags.registry}\n`);
    });

  model
    .command('unpin')
    .description('let schedules that follow the registry use the latest version again')
    .option('--registry <dir>', 'model registry', 'runs/registry')
    .action(async (flags: { registry: string }) => {
      const before = (await readRegistry(flags.registry)).pinned;
      const index = await unpinModel(flags.registry);
      process.stderr.write(before === null ? 'nothing was pinned\n' : `unpinned ${before}; schedules use ${index.latest ?? 'nothing'}\n`);
    });

  model
    .command('rollback')
    .description('make the version published before the latest (or --to VERSION) latest again; recorded in the history')
    .option('--to <version>', 'the version to make latest')
    .option('--registry <dir>', 'model registry', 'runs/registry')
    .action(async (flags: { registry: string; to?: string }) => {
      const from = (await readRegistry(flags.registry)).latest;
      const index = await rollbackModel(flags.registry, flags.to);
      const pinned = index.pinned === null ? '' : ` (${index.pinned} is pinned, so schedules following the registry keep using it)`;
      process.stderr.write(`rolled back ${flags.registry}: latest ${from ?? '-'} → ${index.latest ?? '-'}${pinned}\n`);
    });
}

/** The text of `meles model list`: one line per version, tagged latest / pinned / previous. */
export function formatRegistry(index: RegistryIndex): string {
  if (index.versions.length === 0) return 'no published models\n';
  const previous = previousVersion(index);
  const lines = index.versions.map((v) => {
    const tags = [v.version === index.latest && 'latest', v.version === index.pinned && 'pinned', v.version === previous && 'previous'].filter(Boolean);
    const scores = v.evaluation?.scores.map((s) => `${s.target} ${s.metric} ${s.mean.toFixed(4)}`).join(', ') ?? 'no evaluation';
    return `${v.version}${tags.length ? ` (${tags.join(', ')})` : ''}  ${v.publishedAt}  ${v.source}  ${scores}\n`;
  });
  const using = index.pinned ?? index.latest;
  return `${lines.join('')}schedules following the registry use ${using ?? 'nothing'}${index.pinned ? ' (pinned)' : ''}\n`;
}

function parseRequirement(text: string): ScoreRequirement {
  const match = /^([^=]+)=(-?\d+(?:\.\d+)?)$/.exec(text);
  if (!match) throw new ConfigError(`Expected \`--require\` as target=minimum (e.g. gender=0.6), got \`${text}\``);
  return { target: match[1]!, min: Number(match[2]) };
}
