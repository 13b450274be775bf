/**
 * Training clients streamed from a partitioned dataset (`meles partition`): the run never holds
 * all clients. One partition, chosen with the seed, stays in memory for the whole run: a
 * `validationShare` of its clients is held out for recall@4 and the rest train with it. Each epoch
 * takes a seeded shuffle of the partitions (the first `partitionsPerEpoch`), reads them one at a
 * time, shuffles that partition's training clients with the seed and cuts them into batches; the
 * partition is released before the next is read. Memory is thus about two partitions (the resident
 * one and the one in flight) whatever the dataset's size; choose the partition count accordingly.
 *
 * Categories are indexed with the manifest's vocabularies (counted over the whole source), also
 * under an as-of cut, where reading the dataset in one piece would count the kept events anew.
 *
 * Batches never mix partitions (clients are hashed to partitions, so each partition is a random
 * sample of clients). Every choice is drawn from the seed, so a run is reproducible and a resumed
 * epoch skips the batches it already took without reading their partitions.
 */
import type { AsOf } from '../data/as-of.js';
import type { Dataset } from '../data/dataset.js';
import type { PartitionManifest } from '../data/partition-manifest.js';
import { Rng } from '../data/random.js';
import { readSequences } from '../data/read-sequences.js';
import type { SchemaMapping } from '../data/schema-mapping.js';
import { clientCount, type SequenceSet } from '../data/sequence-set.js';
import { Vocabulary, type Vocabularies } from '../data/vocabulary.js';
import { ConfigError } from '../errors.js';
import { expectInteger } from '../options.js';
import { batchesOver, type BatchPlan, type EpochBatch, type EpochClientSource } from './epoch-source.js';
import { holdOut } from './trainer.js';
import { mixSeed } from './seeds.js';

/** Options of {@link openPartitionClientSource}. */
export interface PartitionSourceOptions {
  /** A resolved partition directory (`resolveDataset` verified its files against the manifest). */
  readonly dataset: Dataset & { readonly partitions: PartitionManifest };
  readonly schema: SchemaMapping;
  /** Vocabularies to index categories with (the whole dataset's: see {@link manifestVocabularies}). */
  readonly vocabularies: Vocabularies;
  /** Keep only events at or before this time. @defaultValue every event */
  readonly asOf?: AsOf;
  readonly seed: number;
  /** Share of the resident partition's clients held out for validation. */
  readonly validationShare: number;
  /** Partitions each epoch reads, 1..partition count. @defaultValue every partition */
  readonly partitionsPerEpoch?: number;
}

/** What {@link openPartitionClientSource} returns: the source and the resident partition with its validation clients. */
export interface PartitionClientSource {
  readonly source: EpochClientSource;
  /** The resident partition's sequences (validation clients index into it). */
  readonly resident: SequenceSet;
  /** Held-out validation clients, indices into {@link PartitionClientSource.resident}. */
  readonly validation: Int32Array;
  /** Partition number of the resident partition. */
  readonly residentPartition: number;
}

/** The manifest's full vocabularies (counted over the source), tagged with their column's kind. */
export function manifestVocabularies(manifest: PartitionManifest): Vocabularies {
  const vocabularies: Vocabularies = {};
  for (const name of manifest.schema.categorical) {
    const recorded = manifest.vocabularies[name];
    if (recorded === undefined) throw new ConfigError(`partition manifest: no vocabulary recorded for categorical column \`${name}\``);
    const type = manifest.columns.find((c) => c.name === name)?.type ?? '';
    vocabularies[name] = Vocabulary.fromCounts(recorded.tokens, recorded.counts).withKind(/utf8|string/i.test(type) ? 'string' : 'number');
  }
  return vocabularies;
}

/**
 * Reads the resident partition and returns a source streaming the others; see the module comment.
 * @throws ConfigError for a bad `partitionsPerEpoch` or a dataset without a partition holding 2 clients.
 */
export async function openPartitionClientSource(options: PartitionSourceOptions): Promise<PartitionClientSource> {
  const { dataset, seed } = options;
  const manifest = dataset.partitions;
  const partitions = manifest.files.length;
  const perEpoch = expectInteger('partitionsPerEpoch', options.partitionsPerEpoch ?? partitions, 1, partitions);
  const read = async (p: number): Promise<SequenceSet> =>
    (await readSequences(dataset.files[p]!.path, options.schema, { vocabularies: options.vocabularies, ...(options.asOf === undefined ? {} : { asOf: options.asOf }) })).sequences;
  // The resident partition: the first of a seeded order that has at least 2 clients.
  const residentPartition = Array.from(new Rng(mixSeed(seed, -1, 1)).shuffle(Int32Array.from({ length: partitions }, (_, p) => p))).find((p) => manifest.files[p]!.clients >= 2);
  if (residentPartition === undefined) throw new ConfigError(`${dataset.spec}: training needs a partition with at least 2 clients, found none`);
  const resident = await read(residentPartition);
  const held = holdOut(clientCount(resident), options.validationShare, seed);
  const trainOf = (p: number, data: SequenceSet): Int32Array => (p === residentPartition ? held.train : Int32Array.from({ length: clientCount(data) }, (_, c) => c));
  // Clients a partition trains on, without reading it (exact unless an as-of cut drops clients).
  const countOf = (p: number): number => (p === residentPartition ? held.train.length : manifest.files[p]!.clients);
  const sampleOf = (epoch: number): Int32Array => new Rng(mixSeed(seed, epoch, -3)).shuffle(Int32Array.from({ length: partitions }, (_, p) => p)).subarray(0, perEpoch);
  let trainClients = 0;
  for (let p = 0; p < partitions; p++) trainClients += countOf(p);

  const source: EpochClientSource = {
    trainClients,
    batchCount(epoch, plan) {
      const unlimited = { ...plan, maxBatchesPerEpoch: 0 };
      let count = 0;
      for (const p of sampleOf(epoch)) count += batchesOver(countOf(p), unlimited);
      return plan.maxBatchesPerEpoch > 0 ? Math.min(count, plan.maxBatchesPerEpoch) : count;
    },
    async *batches(epoch: number, from: number, plan: BatchPlan): AsyncGenerator<EpochBatch> {
      const unlimited = { ...plan, maxBatchesPerEpoch: 0 };
      const limit = plan.maxBatchesPerEpoch > 0 ? plan.maxBatchesPerEpoch : Infinity;
      let index = 0;
      // Outside the loop, so the previous partition is dropped before the next one is read.
      let data: SequenceSet | undefined;
      for (const p of sampleOf(epoch)) {
        if (index >= limit) return;
        // Without an as-of cut the manifest's counts are exact: skip what a resumed epoch already took unread.
        if (options.asOf === undefined && index + batchesOver(countOf(p), unlimited) <= from) {
          index += batchesOver(countOf(p), unlimited);
          continue;
        }
        data = undefined;
        data = p === residentPartition ? resident : await read(p);
        const order = new Rng(mixSeed(seed, epoch, -4 - p)).shuffle(trainOf(p, data).slice());
        const count = batchesOver(order.length, unlimited);
        for (let b = 0; b < count && index < limit; b++, index++) {
          if (index >= from) yield { index, clients: order.subarray(b * plan.batchSize, (b + 1) * plan.batchSize), data };
        }
      }
    },
  };
  return { source, resident, validation: held.validation, residentPartition };
}
