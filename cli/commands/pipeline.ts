/**
 * `meles pipeline run FILE` (in-process, no Redis) and `meles pipeline submit FILE` (a BullMQ
 * flow for `meles worker` processes).
 */
import { Command } from 'commander';
import { runPipelineLocally, type LocalRunEvent } from '../../pipeline/local-runner.js';
import { readPipelineFile } from '../../pipeline/pipeline-config.js';
import { DEFAULT_PREFIX } from '../../pipeline/queue/queues.js';
import { checkedRedisFrom } from '../../pipeline/queue/redis-check.js';
import { closeOnSignals } from '../../pipeline/queue/shutdown.js';
import { stepLabel } from '../../pipeline/steps.js';
import { submitPipeline } from '../../pipeline/queue/submit.js';
import { ConfigError } from '../../errors.js';

/** Registers `meles pipeline`. */
export function register(program: Command): void {
  const pipeline = program.command('pipeline').description('run or submit a pipeline file (ingest → features → train → embed → compare)');

  pipeline
    .command('run')
    .description('run every stage in this process (no Redis); stages whose manifest matches are skipped')
    .argument('<file>', 'pipeline JSON file')
    .option('--quiet', 'no progress output')
    .option('--json', 'print the stage outcomes as JSON on stdout')
    .action(async (file: string, opts: { quiet?: boolean; json?: boolean }) => {
      const config = await readPipelineFile(file);
      const quiet = opts.quiet === true || process.env.MELES_QUIET === '1';
      const controller = new AbortController();
      const removeHandlers = closeOnSignals(async () => controller.abort(), () => process.exit(130));
      try {
        const steps = await runPipelineLocally(config, { signal: controller.signal, ...(quiet ? {} : { onEvent: progressPrinter() }) });
        if (opts.json) process.stdout.write(`${JSON.stringify(steps.map((s) => ({ step: stepLabel(s.step), ...s.outcome })), null, 2)}\n`);
        else if (!quiet) process.stderr.write(`pipeline ${config.name}: done, outputs in ${config.out}\n`);
      } finally {
        removeHandlers();
      }
    });

  pipeline
    .command('submit')
    .description('submit the pipeline as a BullMQ flow; run `meles worker` to process it')
    .argument('<file>', 'pipeline JSON file')
    .option('--redis <url>', 'Redis URL (redis:// or rediss://); default $REDIS_URL or redis://127.0.0.1:6379')
    .option('--prefix <prefix>', 'BullMQ key prefix', DEFAULT_PREFIX)
    .option('--run-id <id>', 'run id (default <name>-<UTC time>-<random>)')
    .option('--connect-timeout <s>', 'give up on Redis after this many seconds (exit 3); default $MELES_REDIS_CONNECT_TIMEOUT or 5')
    .option('--data-root <dir>', 'with --out-root: send paths relative to the workers\' roots (as mounted here), so hosts may mount them elsewhere')
    .option('--out-root <dir>', 'see --data-root')
    .action(async (file: string, opts: { redis?: string; prefix: string; runId?: string; connectTimeout?: string; dataRoot?: string; outRoot?: string }) => {
      if ((opts.dataRoot === undefined) !== (opts.outRoot === undefined)) throw new ConfigError('Expected `--data-root` and `--out-root` together, found only one');
      const config = await readPipelineFile(file);
      const { redis, timeoutMs } = await checkedRedisFrom(opts); // exit 3 with the reason, not a silent hang
      const roots = opts.dataRoot !== undefined && opts.outRoot !== undefined ? { roots: { dataRoot: opts.dataRoot, outRoot: opts.outRoot } } : {};
      const result = await submitPipeline(config, { redis, timeoutMs, prefix: opts.prefix, ...(opts.runId ? { runId: opts.runId } : {}), ...roots });
      process.stdout.write(`${result.runId}\n`);
      process.stderr.write(`submitted ${result.jobIds.length} stage jobs to ${redis.display}; watch with: meles status --run ${result.runId}\n`);
    });
}

/** Prints one line per step start and finish, and progress at most once a second. */
function progressPrinter(): (event: LocalRunEvent) => void {
  let lastPrint = 0;
  return (event) => {
    const label = stepLabel(event.step);
    switch (event.kind) {
      case 'start':
        process.stderr.write(`▶ ${label}\n`);
        break;
      case 'progress': {
        const now = Date.now();
        if (now - lastPrint < 1000) return;
        lastPrint = now;
        const note = event.progress.message ? ` ${event.progress.message}` : '';
        process.stderr.write(`  ${label} ${Math.round(event.progress.fraction * 100)}%${note}\n`);
        break;
      }
      case 'done':
        process.stderr.write(event.outcome.skipped
          ? `= ${label} up to date (${event.outcome.summary})\n`
          : `✓ ${label} ${(event.outcome.durationMs / 1000).toFixed(1)} s: ${event.outcome.summary}\n`);
        // Not as progress: the printer drops progress lines less than a second apart.
        for (const warning of event.outcome.warnings ?? []) process.stderr.write(`  warning: ${warning}\n`);
        break;
    }
  };
}
