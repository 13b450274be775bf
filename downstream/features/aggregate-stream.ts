/**
 * Streams a transactions dataset (Arrow/Parquet file, directory or glob; one file open at a time)
 * into aggregate features without holding the events:
 * pass 1 codes client ids and counts category values (→ vocabularies), pass 2 feeds each record
 * batch into an {@link AggregateAccumulator}. Memory is the sums per client × category value,
 * not the events (10M events: 0.5 GB in memory through readSequences, see the benchmark).
 *
 * The batches come from the data layer's {@link EventScanner}, so checks and value policy are
 * `readSequences`' (null ids rejected, null categories → `<unk>`, null/NaN/±Infinity numerics
 * → 0); the time column only has to exist with a valid type, since aggregates ignore event order.
 * This module only accumulates.
 */
import { EventScanner, type EventScanOptions } from '../../data/event-scanner.js';
import type { Vocabularies } from '../../data/vocabulary.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import { AggregateAccumulator, type AggregateFeatures } from './aggregate-features.js';

/** Options of {@link streamAggregateFeatures}. */
export type StreamAggregateOptions = EventScanOptions;

/** What {@link streamAggregateFeatures} returns. */
export interface StreamAggregateResult {
  /** The features, clients in order of first appearance. */
  readonly features: AggregateFeatures;
  /** Vocabularies the category columns refer to. */
  readonly vocabularies: Vocabularies;
  /** Events read. */
  readonly events: number;
}

/** Computes the aggregate features of the dataset `path` in two streaming passes (events after `options.asOf` left out). */
export async function streamAggregateFeatures(path: string, mapping: SchemaMapping, options: StreamAggregateOptions = {}): Promise<StreamAggregateResult> {
  const scanner = new EventScanner(path, mapping, options);
  // Pass 1 codes client ids and counts category values; the batches themselves are not kept.
  for await (const batch of scanner.scan()) void batch;
  const { vocabularies } = scanner.vocabularies();
  const accumulator = new AggregateAccumulator(
    scanner.clients,
    mapping.numeric,
    mapping.categorical.map((name) => ({ name, tokens: vocabularies[name]!.tokens })),
  );
  for await (const batch of scanner.scan()) {
    const categorical = batch.categorical.map((local, j) => scanner.vocabularyIndices(j, local));
    accumulator.add(batch.clients, categorical, mapping.numeric.map((name) => batch.numeric(name).values));
  }
  return { features: accumulator.finish(scanner.clientIds()), vocabularies, events: scanner.rows };
}
