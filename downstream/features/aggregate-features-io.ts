/**
 * `writeAggregateFeatures`: transactions Arrow file → hand-crafted features Arrow file keyed by
 * client id (same id type as the source). Streams the file batch by batch (aggregate-stream.ts)
 * with the data layer's schema checks, so every bad-input message names file and column.
 */
import type { Table } from 'apache-arrow';
import { tableFromColumns, writeArrowTable, type ColumnValues } from '../../data/arrow-sink.js';
import { RESERVED, type Vocabularies } from '../../data/vocabulary.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import type { ClientIds } from '../../data/sequence-set.js';
import { ConfigError } from '../../errors.js';
import { expectInteger } from '../../options.js';
import type { AggregateFeatures } from './aggregate-features.js';
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
  });
  await writeArrowTable(outPath, aggregateFeaturesTable(features, mapping.id));
  return { clients: features.columns[0]?.length ?? 0, features: features.names.length, events, vocabularies };
}

/** The features as an Arrow table: `idColumn` first (source id type), then Float32 features. */
export function aggregateFeaturesTable(features: AggregateFeatures, idColumn: string): Table {
  if (features.names.includes(idColumn)) {
    throw new ConfigError(`The id column \`${idColumn}\` has the same name as a feature column; rename the id column`);
  }
  const columns: Record<string, ColumnValues> = { [idColumn]: idValues(features.ids) };
  features.names.forEach((name, j) => {
    columns[name] = features.columns[j]!;
  });
  return tableFromColumns(columns);
}

function idValues(ids: ClientIds): ColumnValues {
  return ids.values;
}
