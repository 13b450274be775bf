/**
 * Streams a transactions Arrow file into aggregate features without holding the events:
 * pass 1 codes client ids and counts category values (→ vocabularies), pass 2 feeds each record
 * batch into an {@link AggregateAccumulator}. Memory is the sums per client × category value,
 * not the events (10M events: 0.5 GB in memory through readSequences, see the benchmark).
 *
 * Same checks and value policy as the data layer's `readSequences` (schema via `checkSchema`,
 * null ids rejected, null categories → `<unk>`, null/NaN/±Infinity numerics → 0); the time
 * column only has to exist with a valid type, since aggregates ignore event order.
 */
import { DataType, type Data } from 'apache-arrow';
import { openRecordBatches } from '../../data/arrow-source.js';
import { copyAsFloat64 } from '../../data/arrow-columns.js';
import { KeyCoder, type Key } from '../../data/key-coder.js';
import { checkSchema } from '../../data/read-sequences.js';
import { UNKNOWN_INDEX, Vocabulary, expectVocabulariesFor, type Vocabularies, type VocabularyOptions } from '../../data/vocabulary.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import type { ClientIds } from '../../data/sequence-set.js';
import { DataFormatError } from '../../errors.js';
import { AggregateAccumulator, type AggregateFeatures } from './aggregate-features.js';

/** Options of {@link streamAggregateFeatures}. */
export interface StreamAggregateOptions {
  /** Vocabularies to use instead of building them from the file. @defaultValue built from the file */
  readonly vocabularies?: Vocabularies;
  /** How vocabularies built from the file are cut down. @defaultValue `{}` */
  readonly vocabularyOptions?: VocabularyOptions;
}

/** What {@link streamAggregateFeatures} returns. */
export interface StreamAggregateResult {
  /** The features, clients in order of first appearance. */
  readonly features: AggregateFeatures;
  /** Vocabularies the category columns refer to. */
  readonly vocabularies: Vocabularies;
  /** Events read. */
  readonly events: number;
}

/** Computes the aggregate features of `path` in two streaming passes. */
export async function streamAggregateFeatures(path: string, mapping: SchemaMapping, options: StreamAggregateOptions = {}): Promise<StreamAggregateResult> {
  expectVocabulariesFor(mapping.categorical, options.vocabularies);
  const ids = new KeyCoder();
  const coders = mapping.categorical.map(() => new KeyCoder());
  let layout: ReturnType<typeof checkSchema> | undefined;
  let events = 0;
  for await (const batch of openRecordBatches(path)) {
    layout ??= checkSchema(path, batch.schema, mapping);
    const column = (name: string): Data => batch.data.children[layout!.index[name]!]!;
    rejectNullIds(path, mapping.id, column(mapping.id), events);
    ids.code(column(mapping.id));
    mapping.categorical.forEach((name, j) => coders[j]!.code(column(name)));
    events += batch.numRows;
  }
  if (layout === undefined || events === 0) throw new DataFormatError(`${path}: expected at least one row, found 0 rows`);

  const vocabularies: Vocabularies = {};
  const remaps = mapping.categorical.map((name, j) => {
    const tokens = coders[j]!.tokens();
    const vocabulary = options.vocabularies?.[name] ?? Vocabulary.fromCounts(tokens, coders[j]!.counts(), options.vocabularyOptions);
    vocabularies[name] = vocabulary;
    // remap[code + 1]: local code → vocabulary index; slot 0 serves nulls (code -1).
    const remap = new Int32Array(tokens.length + 1);
    remap[0] = UNKNOWN_INDEX;
    remap.set(vocabulary.indicesOf(tokens), 1);
    return remap;
  });

  const clients = ids.size;
  const accumulator = new AggregateAccumulator(
    clients,
    mapping.numeric,
    mapping.categorical.map((name) => ({ name, tokens: vocabularies[name]!.tokens })),
  );
  let seen = 0;
  for await (const batch of openRecordBatches(path)) {
    const column = (name: string): Data => batch.data.children[layout.index[name]!]!;
    const clientOf = ids.code(column(mapping.id));
    if (ids.size !== clients) throw new DataFormatError(`${path}: the file changed while it was read (new client ids in the second pass)`);
    const categorical = mapping.categorical.map((name, j) => {
      const local = coders[j]!.code(column(name));
      const remap = remaps[j]!;
      const out = new Int32Array(local.length);
      for (let i = 0; i < local.length; i++) out[i] = remap[local[i]! + 1]!;
      return out;
    });
    accumulator.add(clientOf, categorical, mapping.numeric.map((name) => readNumeric(column(name))));
    seen += batch.numRows;
  }
  if (seen !== events) throw new DataFormatError(`${path}: the file changed while it was read (${events} rows, then ${seen})`);
  return { features: accumulator.finish(clientIds(ids.keys, layout.idType)), vocabularies, events };
}

function rejectNullIds(path: string, name: string, data: Data, rowsBefore: number): void {
  if (data.nullCount === 0) return;
  let first = 0;
  while (first < data.length && data.getValid(first)) first++;
  throw new DataFormatError(`${path}: column \`${name}\` (id): expected no nulls, found ${data.nullCount} null(s) in a batch, the first at row ${rowsBefore + first}`);
}

/** Numeric chunk as float32 (the precision sequences keep), null/NaN/±Infinity as 0. */
function readNumeric(data: Data): Float32Array {
  const wide = new Float64Array(data.length);
  copyAsFloat64(data, wide, 0);
  const values = new Float32Array(data.length);
  for (let i = 0; i < wide.length; i++) {
    const x = wide[i]!;
    if (x - x === 0) values[i] = x; // false for NaN and ±Infinity
  }
  return values;
}

/** Client ids in the file's type, as `readSequences` returns them (small ints Int32, 64-bit BigInt, strings). */
function clientIds(keys: readonly Key[], type: DataType): ClientIds {
  if (DataType.isInt(type)) {
    if (type.bitWidth < 32 || (type.bitWidth === 32 && type.isSigned)) return { kind: 'int32', values: Int32Array.from(keys as number[]) };
    return { kind: 'int64', values: BigInt64Array.from(keys, (k) => BigInt(k)) };
  }
  if (DataType.isFloat(type)) return { kind: 'float64', values: Float64Array.from(keys as number[]) };
  return { kind: 'utf8', values: keys.map((k) => (typeof k === 'string' ? k : k.toString())) };
}
