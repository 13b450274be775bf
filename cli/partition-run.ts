/**
 * The partitioned mode shared by `meles embed`, `features` and `score`: when the input is a
 * partitioned dataset (`meles partition`) or, for score, partitioned feature outputs, `--out` is a
 * directory that gets one `part-NNNNN.arrow` per partition and a `manifest.json`. Without
 * `--submit` the partitions run here one after the other; with `--submit` they go to Redis as one
 * job per partition for `meles worker` processes on any host (`--wait` waits for the manifest).
 */
import { Command } from 'commander';
import { extname, join } from 'node:path';
import { checkOutputs, type InputPath } from '../data/output-guard.js';
import { isPartitionDirectory } from '../data/partition-manifest.js';
import { OUTPUT_MANIFEST, partitionedOutputManifestPath } from '../data/partitioned-output.js';
import { ConfigError, DataFormatError } from '../errors.js';
import { numberFlag } from './flags.js';
import { DEFAULT_PREFIX } from '../pipeline/queue/queues.js';
import { checkedRedisFrom } from '../pipeline/queue/redis-check.js';
import { newRunId } from '../pipeline/queue/submit.js';
import { PartitionRunFailedError, submitPartitionRun, waitForPartitionRun } from '../pipeline/queue/partition-jobs.js';
import { outputKindOf, planPartitionRun, runPartitionsLocally, type PartitionTask } from '../pipeline/queue/partition-task.js';

/** The submit flags (see {@link addPartitionRunOptions}). */
export interface PartitionRunFlags {
  /** Queue one job per partition instead of running them here. @defaultValue `false` */
  readonly submit?: boolean;
  /** With `--submit`: wait until the manifest is written. @defaultValue `false` */
  readonly wait?: boolean;
  /** With `--wait`: give up waiting after this many seconds (> 0); the jobs keep running. @defaultValue no limit */
  readonly waitTimeout?: string;
  /** @defaultValue `$REDIS_URL` or `redis://127.0.0.1:6379` */
  readonly redis?: string;
  /** @defaultValue `'meles'` */
  readonly prefix: string;
  /** @defaultValue generated */
  readonly runId?: string;
  /** Seconds. @defaultValue `$MELES_REDIS_CONNECT_TIMEOUT` or `5` */
  readonly connectTimeout?: string;
  /** With `--out-root`: paths travel relative to the workers' roots. @defaultValue absolute paths */
  readonly dataRoot?: string;
  /** See {@link PartitionRunFlags.dataRoot}. */
  readonly outRoot?: string;
  readonly quiet?: boolean;
}

/** Adds `--submit`, `--wait`, `--wait-timeout`, `--redis`, `--prefix`, `--run-id`, `--connect-timeout`, `--data-root`, `--out-root`. */
export function addPartitionRunOptions(cmd: Command): Command {
  return cmd
    .option('--submit', 'partitioned input only: queue one job per partition for `meles worker` instead of running them here')
    .option('--wait', 'with --submit: wait until every partition and the manifest are done')
    .option('--wait-timeout <s>', 'with --wait: stop waiting after this many seconds (exit 1 naming the run; the jobs keep running)')
    .option('--redis <url>', 'with --submit: Redis URL; default $REDIS_URL or redis://127.0.0.1:6379')
    .option('--prefix <prefix>', 'with --submit: BullMQ key prefix', DEFAULT_PREFIX)
    .option('--run-id <id>', 'with --submit: run id (default <command>-<UTC time>-<random>)')
    .option('--connect-timeout <s>', 'with --submit: give up on Redis after this many seconds (exit 3)')
    .option('--data-root <dir>', 'with --submit and --out-root: send paths relative to the workers\' roots (as mounted here)')
    .option('--out-root <dir>', 'see --data-root');
}

/** True when `path` is a partitioned dataset directory (`meles partition`). */
export async function isPartitionedDataset(path: string): Promise<boolean> {
  return isPartitionDirectory(path);
}

/** True when every path is a partitioned output (directory or manifest). */
export async function arePartitionedOutputs(paths: readonly string[]): Promise<boolean> {
  const found = await Promise.all(paths.map(partitionedOutputManifestPath));
  return found.every((p) => p !== undefined);
}

/** File endings that make `--out` one file even for a partitioned input (the partitions read as one dataset). */
export const ONE_FILE_OUTPUTS: readonly string[] = ['.arrow', '.arrows', '.feather', '.ipc', '.parquet', '.pq', '.csv'];

/**
 * Whether a partitioned input gets a partitioned output: always with `--submit`, else unless
 * `--out` names a data file (`emb.arrow`, `features.parquet`, …), which keeps one output file.
 */
export function wantsPartitionedOutput(out: string, flags: PartitionRunFlags): boolean {
  return flags.submit === true || !ONE_FILE_OUTPUTS.includes(extname(out).toLowerCase());
}

/** Refuses the submit flags when the run is not per partition, where they mean nothing. */
export function refuseSubmitFlags(flags: PartitionRunFlags, input: string): void {
  if (flags.submit === true || flags.wait === true || flags.waitTimeout !== undefined || flags.dataRoot !== undefined || flags.outRoot !== undefined) {
    throw new ConfigError(`\`--submit\`, \`--wait\`, \`--wait-timeout\`, \`--data-root\` and \`--out-root\` need a partitioned input (a \`meles partition\` directory) and an output directory; ${input} is not one`);
  }
}

/**
 * Runs (or submits) `task` over the partitions of `inputs` into the directory `out`, and prints
 * what happened. `command` names the command in messages and run ids.
 * @throws ConfigError when `out` already holds a partitioned output or is an input; see also planPartitionRun.
 */
export async function runPartitioned(command: 'embed' | 'features' | 'score', task: PartitionTask, inputs: readonly InputPath[], out: string, flags: PartitionRunFlags): Promise<void> {
  if ((flags.dataRoot === undefined) !== (flags.outRoot === undefined)) throw new ConfigError('Expected `--data-root` and `--out-root` together, found only one');
  if (flags.submit !== true && (flags.wait === true || flags.dataRoot !== undefined)) throw new ConfigError('`--wait`, `--data-root` and `--out-root` go with `--submit`');
  const waitTimeoutMs = waitTimeoutFrom(flags);
  if (ONE_FILE_OUTPUTS.includes(extname(out).toLowerCase())) {
    throw new ConfigError(`\`--out\` ${out}: expected a directory for the per-partition parts, found a file name (${extname(out)}); without --submit a file name writes one file`);
  }
  // 'replaced-folder' for its check only (no input inside --out); the folder is written into, not replaced.
  await checkOutputs([{ flag: '--out', path: out, kind: 'replaced-folder' }, { flag: '--out', path: join(out, OUTPUT_MANIFEST), kind: 'file', inNewFolder: true }], inputs);
  if ((await partitionedOutputManifestPath(out)) !== undefined) {
    throw new ConfigError(`\`--out\` ${out} already holds a partitioned output (${join(out, OUTPUT_MANIFEST)}); choose another directory or remove it`);
  }
  const runId = flags.runId ?? newRunId(command);
  const sources = inputs.filter((i) => i.flag === '--data' || i.flag === '--features').map((i) => i.path);
  const run = await planPartitionRun(runId, task, sources, out);
  // `out` is created by whoever writes the first part (here, or a worker), and removed again by a
  // failure that leaves it empty, so a run that fails everywhere leaves no empty directory.
  const partitions = run.inputRows.length;
  const started = performance.now();
  if (flags.submit !== true) {
    const quiet = flags.quiet === true || process.env.MELES_QUIET === '1';
    const manifest = await runPartitionsLocally(run, (p) => {
      if (!quiet) process.stderr.write(`meles ${command}: partition ${p.last.partition} → ${p.last.file ?? '(empty)'}: ${p.last.rows} rows (${p.done}/${p.total})\n`);
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stderr.write(`meles ${command}: ${manifest.rows} rows in ${partitions} partitions → ${join(out, OUTPUT_MANIFEST)} (${outputKindOf(task)}, ${seconds} s)\n`);
    return;
  }
  const { redis, timeoutMs } = await checkedRedisFrom(flags);
  const roots = flags.dataRoot !== undefined && flags.outRoot !== undefined ? { roots: { dataRoot: flags.dataRoot, outRoot: flags.outRoot } } : {};
  const submitted = await submitPartitionRun(run, { redis, timeoutMs, prefix: flags.prefix, ...roots });
  process.stdout.write(`${submitted.runId}\n`);
  process.stderr.write(`meles ${command}: submitted ${partitions} partition jobs and ${submitted.manifestJobId} to ${redis.display}\n`);
  if (flags.wait !== true) return;
  const waiting = waitForPartitionRun(submitted.runId, partitions, {
    redis,
    prefix: flags.prefix,
    ...(waitTimeoutMs === undefined ? {} : { timeoutMs: waitTimeoutMs }),
    onProgress: (done, total) => {
      if (flags.quiet !== true && process.env.MELES_QUIET !== '1') process.stderr.write(`meles ${command}: ${done}/${total} partitions done\n`);
    },
  });
  // Bad input seen by a worker exits 2, as the same input would in a local run.
  const result = await waiting.catch((error: unknown) => {
    throw error instanceof PartitionRunFailedError && error.badInput ? new DataFormatError(error.message, { cause: error }) : error;
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stderr.write(`meles ${command}: ${result.rows} rows in ${result.parts} partitions → ${join(out, OUTPUT_MANIFEST)} (${seconds} s)\n`);
}

/**
 * `--wait-timeout` in ms, validated: a number of seconds > 0, and only with `--wait`.
 * @throws ConfigError naming the flag and the value.
 */
export function waitTimeoutFrom(flags: Pick<PartitionRunFlags, 'wait' | 'waitTimeout'>): number | undefined {
  if (flags.waitTimeout === undefined) return undefined;
  if (flags.wait !== true) throw new ConfigError('`--wait-timeout` goes with `--wait`');
  const seconds = numberFlag('--wait-timeout', flags.waitTimeout);
  if (!(seconds > 0)) throw new ConfigError(`Expected \`--wait-timeout\` to be a number of seconds > 0, got \`${flags.waitTimeout}\``);
  return Math.ceil(seconds * 1000);
}
