/**
 * Builds a loss with its miner attached from plain, JSON-friendly configs (CLI, job payloads,
 * checkpoints). The MeLES default is {@link DEFAULT_LOSS} with {@link DEFAULT_MINER}.
 */
import { ConfigError } from '../errors.js';
import { createDistance, type DistanceConfig } from './distances/create-distance.js';
import { EuclideanDistance } from './distances/euclidean-distance.js';
import type { BaseLoss } from './losses/base-loss.js';
import { ContrastiveLoss } from './losses/contrastive-loss.js';
import type { BaseMiner } from './miners/base-miner.js';
import { HardNegativePairMiner } from './miners/hard-negative-pair-miner.js';

/** A loss described as data; `kind` picks the class, the other fields are its options. */
export type LossConfig =
  | { readonly kind: 'contrastive'; readonly margin?: number; readonly distance?: DistanceConfig }
  | {
      readonly kind: 'pml-contrastive';
      readonly posMargin?: number;
      readonly negMargin?: number;
      readonly distance?: DistanceConfig;
    };

/** A miner described as data. */
export type MinerConfig = { readonly kind: 'hard-negative'; readonly negCount?: number; readonly distance?: DistanceConfig };

/** MeLES / pytorch-lifestream default loss: contrastive, margin 0.5, summed. */
export const DEFAULT_LOSS: LossConfig = { kind: 'contrastive', margin: 0.5 };
/** MeLES / pytorch-lifestream default miner: 5 hardest negatives per anchor. */
export const DEFAULT_MINER: MinerConfig = { kind: 'hard-negative', negCount: 5 };

/** Creates the loss `loss` describes, with the miner `miner` describes attached (if any). */
export function createLoss(loss: LossConfig, miner?: MinerConfig): BaseLoss {
  const attached = miner === undefined ? undefined : createMiner(miner);
  switch (loss.kind) {
    case 'contrastive':
      return new ContrastiveLoss(
        { negMargin: loss.margin ?? 0.5 },
        loss.distance === undefined ? new EuclideanDistance() : createDistance(loss.distance),
        attached,
      );
    case 'pml-contrastive':
      return new ContrastiveLoss(
        { posMargin: loss.posMargin ?? 0, negMargin: loss.negMargin ?? 1, squared: false, reduction: 'avg-non-zero' },
        createDistance(loss.distance ?? { kind: 'euclidean', normalize: true }),
        attached,
      );
    default:
      throw unknownKind('loss', loss);
  }
}

/** Creates the miner a config describes. */
export function createMiner(miner: MinerConfig): BaseMiner {
  switch (miner.kind) {
    case 'hard-negative':
      return new HardNegativePairMiner(
        miner.negCount === undefined ? {} : { negCount: miner.negCount },
        miner.distance === undefined ? new EuclideanDistance() : createDistance(miner.distance),
      );
    default:
      throw unknownKind('miner', miner);
  }
}

function unknownKind(what: string, config: { kind?: unknown }): ConfigError {
  return new ConfigError(`Unknown ${what} \`kind\`: got \`${String(config.kind)}\` (${typeof config.kind})`);
}
