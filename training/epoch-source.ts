/**
 * Where the clients of an epoch come from. The trainer (trainer.ts) pulls one
 * {@link EpochClientSource} per run: each epoch it asks for the epoch's batches (client indices
 * and the sequences they index) and takes one gradient step per batch. How a batch's gradient is
 * computed is the trainer's and the objective's business; which clients an epoch sees, in what
 * order, and what is held in memory meanwhile is the source's.
 *
 * - {@link inMemoryClientSource}: every training client is in memory; each epoch is one seeded
 *   shuffle of them cut into batches (the trainer's behaviour before sources existed, draw for draw).
 * - `partitionClientSource` (partition-source.ts): a seeded sample of partitions per epoch, read
 *   one at a time and released, so memory is bounded by the partition in flight.
 */
import { Rng } from '../data/random.js';
import type { SequenceSet } from '../data/sequence-set.js';
import { mixSeed } from './seeds.js';

/** How an epoch is cut into batches (from the resolved training options and the objective). */
export interface BatchPlan {
  /** Clients per batch. */
  readonly batchSize: number;
  /** A remainder batch smaller than this is dropped (MeLES needs 2 clients for negatives). */
  readonly minBatchClients: number;
  /** Stop the epoch after this many batches; 0 = all. */
  readonly maxBatchesPerEpoch: number;
}

/** One batch of an epoch. */
export interface EpochBatch {
  /** Zero-based position in the epoch: seeds the batch's Rng and is where a resume restarts. */
  readonly index: number;
  /** Clients of the batch, as indices into {@link EpochBatch.data}. */
  readonly clients: Int32Array;
  /** The sequences `clients` index; `undefined` means the objective's own data. */
  readonly data?: SequenceSet;
}

/** Supplies each epoch's batches; see the module comment. */
export interface EpochClientSource {
  /** Training clients over the whole run (the trainer refuses fewer than 2). */
  readonly trainClients: number;
  /** Batches epoch `epoch` yields (for progress bars; exact unless the data is cut by an as-of time). */
  batchCount(epoch: number, plan: BatchPlan): number;
  /**
   * The batches of `epoch` in order, from batch index `from` on (a resumed epoch skips the ones
   * already taken, without reading their data when it can).
   */
  batches(epoch: number, from: number, plan: BatchPlan): AsyncIterable<EpochBatch>;
}

/** Batches in an epoch over `clients` clients: full batches, plus the remainder when it has at least `minBatchClients`, capped by `maxBatchesPerEpoch`. */
export function batchesOver(clients: number, plan: BatchPlan): number {
  const full = Math.floor(clients / plan.batchSize);
  const count = full + (clients % plan.batchSize >= plan.minBatchClients ? 1 : 0);
  return plan.maxBatchesPerEpoch > 0 ? Math.min(count, plan.maxBatchesPerEpoch) : count;
}

/** The epoch's order of `train` (indices into the data): one seeded shuffle per (seed, epoch). */
export function epochOrder(train: Int32Array, seed: number, epoch: number): Int32Array {
  return new Rng(mixSeed(seed, epoch, -1)).shuffle(train.slice());
}

/**
 * All training clients in memory (indices into the objective's data): each epoch shuffles them with
 * the seed and cuts the order into batches of `batchSize`.
 */
export function inMemoryClientSource(train: Int32Array, seed: number): EpochClientSource {
  return {
    trainClients: train.length,
    batchCount: (_epoch, plan) => batchesOver(train.length, plan),
    async *batches(epoch, from, plan) {
      const order = epochOrder(train, seed, epoch);
      const count = batchesOver(train.length, plan);
      for (let b = from; b < count; b++) yield { index: b, clients: order.subarray(b * plan.batchSize, (b + 1) * plan.batchSize) };
    },
  };
}
