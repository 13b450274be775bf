/**
 * `writeAggregateFeatures`: transactions Arrow file → hand-crafted features Arrow file keyed by
 * client id (the source's id column name and type, recorded in the file's metadata by the keyed
 * sink). Streams the file batch by batch (aggregate-stream.ts) with the data layer's schema
 * checks, so every bad-input message names file and column.
 */
import { AS_OF_METADATA_KEY, type AsOf } from '../../data/as-of.js';
import { writeKeyedTable } from '../../data/keyed-sink.js';
import { RESERVED, type Vocabularies } from '../../data/vocabulary.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import { expectInteger } from '../../options.js';
import { streamAggregateFeatures } from './aggregate-stream.js';

/** Options of {@link writeAggregateFeatures}. */
export interface AggregateFeaturesOptions {
  /**
   * Category values kept per categorical column (most frequent first); rarer values are pooled
   * into `<unk>`. ptls clips `small_group` to 250 and `mcc_code` to 200. Minimum: `1`.
   * @defaultValue `250`
   */
  readonly maxValuesPerCategorical?: number;
  /** Re-use these vocabularies (e.g. the training file's) so two files get identical columns. @defaultValue built from the file */
  readonly vocabularies?: Vocabularies;
  /** Aggregate only events at or before this cut-off; recorded as `meles.as_of` in the output's metadata. @defaultValue every event */
  readonly asOf?: AsOf;
}

/** What {@link writeAggregateFeatures} wrote. */
export interface AggregateFeaturesSummary {
  /** Rows (clients) written. */
  readonly clients: number;
  /** Feature columns written (the id column not counted). */
  readonly features: number;
  /** Events read. */
  readonly events: number;
  /** The vocabularies the category columns refer to. */
  readonly vocabularies: Vocabularies;
}

/**
 * Reads `dataPath`, computes the aggregate features and writes them to `outPath` (atomically)
 * with the client id column first, named as in the mapping.
 * @throws ConfigError when the id column has the same name as a feature column.
 * Aggregates use raw numeric values: the mapping's transforms are for the neural encoder (ptls
 * likewise restores log-normalised amounts with expm1 before aggregating).
 */
export async function writeAggregateFeatures(
  dataPath: string,
  mapping: SchemaMapping,
  outPath: string,
  options: AggregateFeaturesOptions = {},
): Promise<AggregateFeaturesSummary> {
  const maxValues = expectInteger('maxValuesPerCategorical', options.maxValuesPerCategorical ?? 250, 1);
  // Raw values: the streaming reader applies no transforms.
  const { features, vocabularies, events } = await streamAggregateFeatures(dataPath, mapping, {
    ...(options.vocabularies === undefined ? {} : { vocabularies: options.vocabularies }),
    vocabularyOptions: { maxSize: maxValues + RESERVED },
    ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
  });
  const metadata = options.asOf === undefined ? {} : { metadata: { [AS_OF_METADATA_KEY]: options.asOf.text } };
  const columns = { idColumn: mapping.id, idKind: features.ids.kind, names: features.names, ...metadata };
  await writeKeyedTable(outPath, 'arrow', columns, [{ ids: features.ids, values: features.columns }]);
  return { clients: features.columns[0]?.length ?? 0, features: features.names.length, events, vocabularies };
}
