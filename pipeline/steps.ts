/**
 * The pipeline DAG as data: ingest → features → train → embed (shards, then a merge) → compare,
 * then, when configured, fit → score (a downstream model and its predictions).
 * Both runners walk the same plan; only how a step is scheduled differs.
 */
import type { PipelineConfig } from './pipeline-config.js';
import type { StageName } from './stage.js';

/** Which part of the clients an embed shard covers (clients in file order, split into `count` ranges). */
export interface ShardRef {
  /** Zero-based shard index, `< count`. */
  readonly index: number;
  /** Number of shards. */
  readonly count: number;
}

/** The part of a pipeline config that decides its steps (the demo plans before its data exists). */
export type PipelinePlanInput = Pick<PipelineConfig, 'targets' | 'embed' | 'fit' | 'score'>;

/** One unit of work: a stage, or one shard of the embed stage. */
export type PipelineStep =
  | { readonly kind: 'ingest' }
  | { readonly kind: 'train' }
  | { readonly kind: 'embed-shard'; readonly shard: ShardRef }
  | { readonly kind: 'embed' }
  | { readonly kind: 'features' }
  | { readonly kind: 'compare' }
  | { readonly kind: 'fit' }
  | { readonly kind: 'score' };

/**
 * The stage kinds in an order that respects every dependency (each runs after the one before).
 * Features need only ingest, so they come before training: the hand-crafted baseline is ready
 * while the encoder trains (`meles demo` fits it then), and a failing feature stage fails the run
 * before hours of training rather than after.
 */
export function stageChain(config: PipelinePlanInput): StageName[] {
  const chain: StageName[] = ['ingest', 'features', 'train', 'embed'];
  if (config.targets) chain.push('compare');
  if (config.fit) chain.push('fit');
  if (config.score) chain.push('score');
  return chain;
}

/** What the data looks like, as far as planning cares. */
export interface DataLayout {
  /**
   * The data is a partitioned dataset (`meles partition`): embed and features run one unit of work
   * per partition inside their stage (pipeline/stages/partitioned-stages.ts), so no shard steps.
   * @defaultValue `false`
   */
  readonly partitioned?: boolean;
}

/** Every step in an order that respects dependencies (embed shards right before their merge). */
export function planPipeline(config: PipelinePlanInput, layout: DataLayout = {}): PipelineStep[] {
  const steps: PipelineStep[] = [];
  for (const stage of stageChain(config)) {
    if (stage === 'embed' && layout.partitioned !== true) {
      for (let index = 0; index < config.embed.shards; index++) {
        steps.push({ kind: 'embed-shard', shard: { index, count: config.embed.shards } });
      }
    }
    steps.push(stepOf(stage));
  }
  return steps;
}

/** A short label for logs and status, e.g. `embed-shard 2/4`. */
export function stepLabel(step: PipelineStep): string {
  return step.kind === 'embed-shard' ? `embed-shard ${step.shard.index + 1}/${step.shard.count}` : step.kind;
}

/** The step of a whole-pipeline stage (embed shards are planned separately, by the embed job). */
export function stepOf(stage: StageName): PipelineStep {
  switch (stage) {
    case 'ingest':
      return { kind: 'ingest' };
    case 'train':
      return { kind: 'train' };
    case 'embed':
      return { kind: 'embed' };
    case 'features':
      return { kind: 'features' };
    case 'compare':
      return { kind: 'compare' };
    case 'fit':
      return { kind: 'fit' };
    case 'score':
      return { kind: 'score' };
    case 'embed-shard':
      throw new Error('embed shards are planned by planPipeline or added by the embed job');
  }
}
