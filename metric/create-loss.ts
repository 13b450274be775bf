/**
 * Builds a loss with its miner attached from plain, JSON-friendly configs (CLI, job payloads,
 * checkpoints). The MeLES default is {@link DEFAULT_LOSS} with {@link DEFAULT_MINER}.
 */
import { Rng } from '../data/random.js';
import { ConfigError } from '../errors.js';
import { expectInteger } from '../options.js';
import type { BaseDistance } from './distances/base-distance.js';
import { createDistance, type DistanceConfig } from './distances/create-distance.js';
import type { BaseLoss } from './losses/base-loss.js';
import { BinomialDevianceLoss, type BinomialDevianceLossOptions } from './losses/binomial-deviance-loss.js';
import { ContrastiveLoss } from './losses/contrastive-loss.js';
import { CosFaceLoss, type CosFaceLossOptions } from './losses/cosface-loss.js';
import { HistogramLoss, type HistogramLossOptions } from './losses/histogram-loss.js';
import { MarginLoss, type MarginLossOptions } from './losses/margin-loss.js';
import { MultiSimilarityLoss, type MultiSimilarityLossOptions } from './losses/multi-similarity-loss.js';
import { NTXentLoss, type NTXentLossOptions } from './losses/ntxent-loss.js';
import { TripletLoss, type TripletLossOptions } from './losses/triplet-loss.js';
import { AllPairsMiner } from './miners/all-pairs-miner.js';
import type { BaseMiner } from './miners/base-miner.js';
import { BatchHardMiner } from './miners/batch-hard-miner.js';
import { DistanceWeightedMiner, type DistanceWeightedMinerOptions } from './miners/distance-weighted-miner.js';
import { HardNegativePairMiner } from './miners/hard-negative-pair-miner.js';
import { HardTripletMiner } from './miners/hard-triplet-miner.js';
import { RandomNegativeMiner } from './miners/random-negative-miner.js';
import { TripletMarginMiner, type TripletMarginMinerOptions } from './miners/triplet-margin-miner.js';

/** Optional distance override shared by every config. */
interface WithDistance {
  /** How embeddings are compared; each kind has its reference default. */
  readonly distance?: DistanceConfig;
}

/** A loss described as data; `kind` picks the class, the other fields are its options. */
export type LossConfig =
  | ({ readonly kind: 'contrastive'; readonly margin?: number } & WithDistance)
  | ({ readonly kind: 'pml-contrastive'; readonly posMargin?: number; readonly negMargin?: number } & WithDistance)
  | ({ readonly kind: 'margin' } & Partial<MarginLossOptions> & WithDistance)
  | ({ readonly kind: 'binomial-deviance' } & Partial<BinomialDevianceLossOptions> & WithDistance)
  | ({ readonly kind: 'histogram' } & Partial<HistogramLossOptions> & WithDistance)
  | ({ readonly kind: 'multi-similarity' } & Partial<MultiSimilarityLossOptions> & WithDistance)
  | ({ readonly kind: 'ntxent' } & Partial<NTXentLossOptions> & WithDistance)
  | ({ readonly kind: 'triplet' } & Partial<TripletLossOptions> & WithDistance)
  | ({ readonly kind: 'cosface' } & Pick<CosFaceLossOptions, 'numClasses' | 'embeddingSize'> & Partial<CosFaceLossOptions>);

/** Seed of a randomised miner. */
interface WithSeed {
  /** Seed of the miner's own generator. @defaultValue `0` */
  readonly seed?: number;
}

/** A miner described as data. */
export type MinerConfig =
  | ({ readonly kind: 'hard-negative'; readonly negCount?: number } & WithDistance)
  | ({ readonly kind: 'all-pairs'; readonly balance?: boolean } & WithSeed)
  | ({ readonly kind: 'random-negative' } & WithSeed)
  | ({ readonly kind: 'distance-weighted' } & Partial<DistanceWeightedMinerOptions> & WithSeed & WithDistance)
  | ({ readonly kind: 'triplet-margin' } & Partial<TripletMarginMinerOptions> & WithDistance)
  | ({ readonly kind: 'batch-hard' } & WithDistance)
  | ({ readonly kind: 'hard-triplet'; readonly negCount?: number } & WithDistance);

/** MeLES / pytorch-lifestream default loss: contrastive, margin 0.5, summed. */
export const DEFAULT_LOSS: LossConfig = { kind: 'contrastive', margin: 0.5 };
/** MeLES / pytorch-lifestream default miner: 5 hardest negatives per anchor. */
export const DEFAULT_MINER: MinerConfig = { kind: 'hard-negative', negCount: 5 };

/** Creates the loss `loss` describes, with the miner `miner` describes attached (if any). */
export function createLoss(loss: LossConfig, miner?: MinerConfig): BaseLoss {
  const attached = miner === undefined ? undefined : createMiner(miner);
  switch (loss.kind) {
    case 'contrastive': {
      const { kind: _k, distance, margin, ...rest } = loss;
      noExtra('contrastive', rest);
      return new ContrastiveLoss({ negMargin: margin ?? 0.5 }, distanceOr(distance, { kind: 'euclidean' }), attached);
    }
    case 'pml-contrastive': {
      const { kind: _k, distance, posMargin, negMargin, ...rest } = loss;
      noExtra('pml-contrastive', rest);
      return new ContrastiveLoss(
        { posMargin: posMargin ?? 0, negMargin: negMargin ?? 1, squared: false, reduction: 'avg-non-zero' },
        distanceOr(distance, { kind: 'euclidean', normalize: true }),
        attached,
      );
    }
    case 'margin': {
      const { kind: _k, distance, ...options } = loss;
      return new MarginLoss(options, distanceOr(distance, { kind: 'euclidean' }), attached);
    }
    case 'binomial-deviance': {
      const { kind: _k, distance, ...options } = loss;
      return new BinomialDevianceLoss(options, distanceOr(distance, { kind: 'cosine' }), attached);
    }
    case 'histogram': {
      const { kind: _k, distance, ...options } = loss;
      return new HistogramLoss(options, distanceOr(distance, { kind: 'cosine' }), attached);
    }
    case 'multi-similarity': {
      const { kind: _k, distance, ...options } = loss;
      return new MultiSimilarityLoss(options, distanceOr(distance, { kind: 'cosine' }), attached);
    }
    case 'ntxent': {
      const { kind: _k, distance, ...options } = loss;
      return new NTXentLoss(options, distanceOr(distance, { kind: 'cosine' }), attached);
    }
    case 'triplet': {
      const { kind: _k, distance, ...options } = loss;
      return new TripletLoss(options, distanceOr(distance, { kind: 'euclidean' }), attached);
    }
    case 'cosface': {
      if (attached !== undefined) throw new ConfigError('The `cosface` loss uses class labels directly and takes no miner');
      const { kind: _k, ...options } = loss;
      return new CosFaceLoss(options);
    }
    default:
      throw unknownKind('loss', loss);
  }
}

/** Creates the miner a config describes. */
export function createMiner(miner: MinerConfig): BaseMiner {
  switch (miner.kind) {
    case 'hard-negative': {
      const { kind: _k, distance, ...options } = miner;
      return new HardNegativePairMiner(options, distanceOr(distance, { kind: 'euclidean' }));
    }
    case 'all-pairs': {
      const { kind: _k, seed, ...options } = miner;
      return new AllPairsMiner(options, rngFor(seed));
    }
    case 'random-negative': {
      const { kind: _k, seed, ...rest } = miner;
      noExtra('random-negative', rest);
      return new RandomNegativeMiner(rngFor(seed));
    }
    case 'distance-weighted': {
      const { kind: _k, seed, distance, ...options } = miner;
      return new DistanceWeightedMiner(options, rngFor(seed), distanceOr(distance, { kind: 'euclidean', normalize: true }));
    }
    case 'triplet-margin': {
      const { kind: _k, distance, ...options } = miner;
      return new TripletMarginMiner(options, distanceOr(distance, { kind: 'euclidean' }));
    }
    case 'batch-hard': {
      const { kind: _k, distance, ...rest } = miner;
      noExtra('batch-hard', rest);
      return new BatchHardMiner(distanceOr(distance, { kind: 'euclidean' }));
    }
    case 'hard-triplet': {
      const { kind: _k, distance, ...options } = miner;
      return new HardTripletMiner(options, distanceOr(distance, { kind: 'euclidean' }));
    }
    default:
      throw unknownKind('miner', miner);
  }
}

function distanceOr(config: DistanceConfig | undefined, fallback: DistanceConfig): BaseDistance {
  return createDistance(config ?? fallback);
}

function rngFor(seed: number | undefined): Rng {
  return new Rng(expectInteger('seed', seed ?? 0));
}

function noExtra(kind: string, rest: object): void {
  const keys = Object.keys(rest);
  if (keys.length > 0) throw new ConfigError(`Unknown option \`${keys[0]}\` for \`${kind}\``);
}

function unknownKind(what: string, config: { kind?: unknown }): ConfigError {
  return new ConfigError(`Unknown ${what} \`kind\`: got \`${String(config.kind)}\` (${typeof config.kind})`);
}
