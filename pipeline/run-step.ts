/**
 * Runs one planned step with the stage that implements it. The only place that maps a step kind
 * to a stage and builds that stage's parameters from the pipeline config.
 */
import { isPartitionDirectory } from '../data/partition-manifest.js';
import { ConfigError } from '../errors.js';
import { OWN_FIT, type PipelineConfig } from './pipeline-config.js';
import { runStage, type RunStageOptions, type StageOutcome } from './run-stage.js';
import type { PipelineStep } from './steps.js';
import { featuresStage } from './stages/features-stage.js';
import { compareStage } from './stages/compare-stage.js';
import { embedMergeStage, embedShardStage } from './stages/embed-stages.js';
import { fitStage } from './stages/fit-stage.js';
import { ingestStage } from './stages/ingest-stage.js';
import { embedPartitionsStage, featuresPartitionsStage } from './stages/partitioned-stages.js';
import { scoreStage } from './stages/score-stage.js';
import { trainStage } from './stages/train-stage.js';

/** What a finished step reports to its runner (and, as the job's return value, to BullMQ). */
export interface StepOutcome {
  /** True when the stage's manifest matched and nothing ran. */
  readonly skipped: boolean;
  /** Wall time of the stage body in ms (0 when skipped). */
  readonly durationMs: number;
  /** The stage's output directory. */
  readonly dir: string;
  /** One line for logs and `meles status`, e.g. `5000 clients, 612345 events`. */
  readonly summary: string;
  /** What the stage warned about (e.g. the fit's lowered leaf minimum); absent when nothing. */
  readonly warnings?: readonly string[];
}

/** Options shared by every step: output root, abort signal and progress callback. */
export type StepRunOptions = Omit<RunStageOptions, 'shard'>;

/** Runs (or skips) one step of `config`. */
export async function runStep(step: PipelineStep, config: PipelineConfig, options: StepRunOptions): Promise<StepOutcome> {
  switch (step.kind) {
    case 'ingest': {
      const outcome = await runStage(ingestStage, { data: config.data, schema: config.schema }, options);
      return outcomeOf(outcome, `${outcome.result.clients} clients, ${outcome.result.events} events`);
    }
    case 'features': {
      if (await isPartitionDirectory(config.data)) {
        const outcome = await runStage(featuresPartitionsStage, { data: config.data, schema: config.schema }, options);
        return outcomeOf(outcome, `${outcome.result.clients} clients × ${outcome.result.features} features in ${outcome.result.partitions} partitions`);
      }
      const outcome = await runStage(featuresStage, { data: config.data, schema: config.schema }, options);
      return outcomeOf(outcome, `${outcome.result.clients} clients × ${outcome.result.features} features`);
    }
    case 'train': {
      const outcome = await runStage(trainStage, { data: config.data, schema: config.schema, train: config.train }, options);
      const r = outcome.result;
      return outcomeOf(outcome, `${r.epochs} epochs, loss ${r.finalLoss?.toFixed(4) ?? '-'}, recall@4 ${r.recallAt4?.toFixed(3) ?? '-'} (${r.backend})`);
    }
    case 'embed-shard': {
      const params = { data: config.data, shard: step.shard, ...(config.embed.maxEvents ? { maxEvents: config.embed.maxEvents } : {}) };
      const outcome = await runStage(embedShardStage, params, { ...options, shard: step.shard });
      const r = outcome.result;
      const read = r.readSeconds === undefined ? '' : ` (read ${r.readSeconds.toFixed(2)} s from ${r.readFrom ?? 'data'})`;
      return outcomeOf(outcome, `${r.clients} clients × ${r.width} in ${r.seconds.toFixed(1)} s${read}`);
    }
    case 'embed': {
      // A partitioned dataset embeds one partition per unit of work (its shards setting does not apply).
      if (await isPartitionDirectory(config.data)) {
        const outcome = await runStage(embedPartitionsStage, embedPartitionsParams(config), options);
        return outcomeOf(outcome, `${outcome.result.clients} clients × ${outcome.result.width} in ${outcome.result.partitions} partitions`);
      }
      const outcome = await runStage(embedMergeStage, { shards: config.embed.shards }, options);
      return outcomeOf(outcome, `${outcome.result.clients} clients × ${outcome.result.width} in ${outcome.result.parts.length} parts`);
    }
    case 'compare': {
      if (!config.targets) throw new ConfigError(`Pipeline ${config.name} has no \`targets\`, so it has no compare stage`);
      const params = {
        targetsPath: config.targets.path,
        idColumn: config.targets.id ?? config.schema.id,
        targets: config.targets.columns,
        ...config.compare,
      };
      const outcome = await runStage(compareStage, params, options);
      return outcomeOf(outcome, outcome.result.scores.map((s) => `${s.set} ${s.target} ${s.metric} ${s.mean.toFixed(3)}`).join('; '));
    }
    case 'fit': {
      const fit = config.fit;
      const target = config.targets?.columns.find((t) => t.name === fit?.target);
      if (!fit || !config.targets || !target) throw new ConfigError(`Pipeline ${config.name} has no \`fit\` of one of its \`targets.columns\`, so it has no fit stage`);
      const params = {
        targetsPath: config.targets.path,
        idColumn: config.targets.id ?? config.schema.id,
        target,
        sets: fit.sets,
        ...(fit.trees !== undefined ? { trees: fit.trees } : {}),
        ...(fit.seed !== undefined ? { seed: fit.seed } : {}),
      };
      const outcome = await runStage(fitStage, params, options);
      const r = outcome.result;
      return outcomeOf(outcome, `${r.target} (${r.kind}) on ${r.rows} clients × ${r.features} features, ${r.trees} trees`, r.warnings);
    }
    case 'score': {
      if (!config.score) throw new ConfigError(`Pipeline ${config.name} has no \`score\`, so it has no score stage`);
      const params = {
        ...(config.score.model === OWN_FIT ? {} : { modelDir: config.score.model }),
        sets: config.score.sets,
        idColumn: config.schema.id,
      };
      const outcome = await runStage(scoreStage, params, options);
      return outcomeOf(outcome, `${outcome.result.rows} clients scored (${outcome.result.columns.slice(1).join(', ')})`);
    }
  }
}

/** The per-partition embed stage's parameters from the pipeline config. */
export function embedPartitionsParams(config: PipelineConfig): { data: string; maxEvents?: number } {
  return { data: config.data, ...(config.embed.maxEvents === undefined ? {} : { maxEvents: config.embed.maxEvents }) };
}

function outcomeOf<R>(outcome: StageOutcome<R>, summary: string, warnings: readonly string[] = []): StepOutcome {
  return { skipped: outcome.skipped, durationMs: outcome.durationMs, dir: outcome.dir, summary, ...(warnings.length > 0 ? { warnings } : {}) };
}
