/** The metric-learning library: distances, miners, losses, configs and the batch recall metric. */
export { BaseDistance, l2Normalize, squaredDistances, type DistanceOptions } from './distances/base-distance.js';
export { EuclideanDistance } from './distances/euclidean-distance.js';
export { SquaredEuclideanDistance } from './distances/squared-euclidean-distance.js';
export { CosineSimilarity } from './distances/cosine-similarity.js';
export { DotProductSimilarity } from './distances/dot-product-similarity.js';
export { createDistance, type DistanceConfig } from './distances/create-distance.js';
export {
  allPairs,
  allTriplets,
  asPairs,
  asTriplets,
  pairsToTriplets,
  tripletsToPairs,
  type MinedIndices,
  type MinedPairs,
  type MinedTriplets,
} from './mined-indices.js';
export { BaseMiner, type MiningInput } from './miners/base-miner.js';
export { HardNegativePairMiner, type HardNegativePairMinerOptions } from './miners/hard-negative-pair-miner.js';
export { AllPairsMiner, type AllPairsMinerOptions } from './miners/all-pairs-miner.js';
export { RandomNegativeMiner } from './miners/random-negative-miner.js';
export { DistanceWeightedMiner, type DistanceWeightedMinerOptions } from './miners/distance-weighted-miner.js';
export { TripletMarginMiner, type TripletMarginMinerOptions, type TripletType } from './miners/triplet-margin-miner.js';
export { BatchHardMiner } from './miners/batch-hard-miner.js';
export { HardTripletMiner, type HardTripletMinerOptions } from './miners/hard-triplet-miner.js';
export { BaseLoss } from './losses/base-loss.js';
export { ContrastiveLoss, type ContrastiveLossOptions } from './losses/contrastive-loss.js';
export { MarginLoss, type MarginLossOptions } from './losses/margin-loss.js';
export { BinomialDevianceLoss, type BinomialDevianceLossOptions } from './losses/binomial-deviance-loss.js';
export { HistogramLoss, type HistogramLossOptions } from './losses/histogram-loss.js';
export { MultiSimilarityLoss, type MultiSimilarityLossOptions } from './losses/multi-similarity-loss.js';
export { NTXentLoss, type NTXentLossOptions } from './losses/ntxent-loss.js';
export { TripletLoss, type TripletLossOptions } from './losses/triplet-loss.js';
export { CosFaceLoss, type CosFaceLossOptions } from './losses/cosface-loss.js';
export { createLoss, createMiner, DEFAULT_LOSS, DEFAULT_MINER, type LossConfig, type MinerConfig } from './create-loss.js';
export { recallAtK } from './recall-at-k.js';
