/**
 * The hand-crafted baseline of pytorch-lifestream (`AggFeatureSeqEncoder`): per client the
 * sequence length; per numeric column sum, mean and std; per categorical × numeric pair the
 * count, mean and std for each category value; per categorical the number of distinct values.
 * {@link AggregateAccumulator} sums events in any order (so a file can be streamed batch by
 * batch, see aggregate-stream.ts); {@link computeAggregateFeatures} feeds it from sequences
 * already in memory. No IO here.
 *
 * Conventions (documented, tested):
 * - std is the sample std (ddof = 1), as pandas computes it; it is NaN for fewer than 2 events,
 *   and means are NaN for 0 events, so LightGBM sees "missing" instead of a fake 0;
 * - category values are the vocabulary's indices 1.. : index 1 (`<unk>`) collects nulls and
 *   values cut off by the vocabulary size, so the column layout only depends on the vocabulary.
 */
import type { Vocabularies } from '../../data/vocabulary.js';
import { clientCount, type ClientIds, type SequenceSet } from '../../data/sequence-set.js';
import { ConfigError } from '../../errors.js';

/** A client × feature table: one Float32 column per feature, rows in client order. */
export interface AggregateFeatures {
  /** Client id per row, in the source file's id type. */
  readonly ids: ClientIds;
  /** Feature names, e.g. `seq_len`, `amount__sum`, `small_group_17__count`, `amount__small_group_17__mean`. */
  readonly names: readonly string[];
  /** `columns[j][row]` is feature `names[j]` of client `row`. */
  readonly columns: readonly Float32Array[];
}

/** Name of the sequence-length feature. */
export const SEQ_LEN = 'seq_len';

/** A categorical column and its vocabulary tokens (`tokens[i]` = original value of index i). */
export interface CategoricalSpec {
  /** Column name. */
  readonly name: string;
  /** Vocabulary tokens; index 0 is padding and gets no columns. */
  readonly tokens: readonly string[];
}

/** Running sums per client (and per client × category value), filled in any event order. */
export class AggregateAccumulator {
  private readonly seqLen: Int32Array;
  private readonly sum: Float64Array;
  private readonly sum2: Float64Array;
  private readonly counts: Int32Array[];
  private readonly catSum: Float64Array[];
  private readonly catSum2: Float64Array[];

  /**
   * @param clients - number of clients; events carry client indices 0..clients-1.
   * @param numericNames - numeric columns, in the order `add` receives them.
   * @param categorical - categorical columns, in the order `add` receives them.
   */
  constructor(
    readonly clients: number,
    readonly numericNames: readonly string[],
    readonly categorical: readonly CategoricalSpec[],
  ) {
    const N = numericNames.length;
    this.seqLen = new Int32Array(clients);
    this.sum = new Float64Array(clients * N);
    this.sum2 = new Float64Array(clients * N);
    this.counts = categorical.map((c) => new Int32Array(clients * c.tokens.length));
    this.catSum = categorical.map((c) => new Float64Array(clients * c.tokens.length * N));
    this.catSum2 = categorical.map((c) => new Float64Array(clients * c.tokens.length * N));
  }

  /**
   * Adds events: `clientOf[i]` is event i's client index, `categorical[j][i]` its vocabulary
   * index in column j, `numeric[k][i]` its value of numeric column k.
   */
  add(clientOf: Int32Array, categorical: readonly Int32Array[], numeric: readonly ArrayLike<number>[]): void {
    const n = clientOf.length;
    const N = this.numericNames.length;
    for (let i = 0; i < n; i++) this.seqLen[clientOf[i]!]!++;
    for (let k = 0; k < N; k++) {
      const values = numeric[k]!;
      for (let i = 0; i < n; i++) {
        const at = clientOf[i]! * N + k;
        const x = values[i]!;
        this.sum[at]! += x;
        this.sum2[at]! += x * x;
      }
    }
    for (let j = 0; j < this.categorical.length; j++) {
      const V = this.categorical[j]!.tokens.length;
      const codes = categorical[j]!;
      const counts = this.counts[j]!;
      const sum = this.catSum[j]!;
      const sum2 = this.catSum2[j]!;
      for (let i = 0; i < n; i++) {
        const cell = clientOf[i]! * V + codes[i]!;
        counts[cell]!++;
        for (let k = 0; k < N; k++) {
          const x = numeric[k]![i]!;
          sum[cell * N + k]! += x;
          sum2[cell * N + k]! += x * x;
        }
      }
    }
  }

  /** The feature table, rows in client-index order. */
  finish(ids: ClientIds): AggregateFeatures {
    const C = this.clients;
    const N = this.numericNames.length;
    const names: string[] = [];
    const columns: Float32Array[] = [];
    const add = (name: string, value: (c: number) => number): void => {
      const column = new Float32Array(C);
      for (let c = 0; c < C; c++) column[c] = value(c);
      names.push(name);
      columns.push(column);
    };
    add(SEQ_LEN, (c) => this.seqLen[c]!);
    this.numericNames.forEach((num, k) => {
      const at = (c: number) => c * N + k;
      add(`${num}__sum`, (c) => this.sum[at(c)]!);
      add(`${num}__mean`, (c) => (this.seqLen[c]! > 0 ? this.sum[at(c)]! / this.seqLen[c]! : NaN));
      add(`${num}__std`, (c) => sampleStd(this.seqLen[c]!, this.sum[at(c)]!, this.sum2[at(c)]!));
    });
    this.categorical.forEach(({ name, tokens }, j) => {
      const V = tokens.length;
      const counts = this.counts[j]!;
      const sum = this.catSum[j]!;
      const sum2 = this.catSum2[j]!;
      // Index 0 is padding and never occurs in data, so values start at 1.
      for (let v = 1; v < V; v++) {
        add(`${name}_${tokens[v]}__count`, (c) => counts[c * V + v]!);
        this.numericNames.forEach((num, k) => {
          const at = (c: number) => (c * V + v) * N + k;
          add(`${num}__${name}_${tokens[v]}__mean`, (c) => (counts[c * V + v]! > 0 ? sum[at(c)]! / counts[c * V + v]! : NaN));
          add(`${num}__${name}_${tokens[v]}__std`, (c) => sampleStd(counts[c * V + v]!, sum[at(c)]!, sum2[at(c)]!));
        });
      }
      add(`${name}__distinct`, (c) => {
        let distinct = 0;
        for (let v = 0; v < V; v++) if (counts[c * V + v]! > 0) distinct++;
        return distinct;
      });
    });
    return { ids, names, columns };
  }
}

/**
 * Computes the aggregate features of every client in `sequences` (already in memory).
 * @param vocabularies - the vocabularies the categorical indices refer to (for readable names).
 */
export function computeAggregateFeatures(sequences: SequenceSet, vocabularies: Vocabularies): AggregateFeatures {
  const clients = clientCount(sequences);
  const categorical = Object.keys(sequences.categorical).map((name) => {
    const vocabulary = vocabularies[name];
    if (vocabulary === undefined) throw new ConfigError(`No vocabulary for categorical column \`${name}\` (have: ${Object.keys(vocabularies).join(', ')})`);
    return { name, tokens: vocabulary.tokens };
  });
  const numericNames = Object.keys(sequences.numeric);
  const accumulator = new AggregateAccumulator(clients, numericNames, categorical);
  const clientOf = new Int32Array(sequences.offsets[clients]!);
  for (let c = 0; c < clients; c++) clientOf.fill(c, sequences.offsets[c]!, sequences.offsets[c + 1]!);
  accumulator.add(clientOf, categorical.map((c) => sequences.categorical[c.name]!), numericNames.map((n) => sequences.numeric[n]!));
  return accumulator.finish(sequences.ids);
}

/** Sample standard deviation (ddof = 1) from n, Σx and Σx²; NaN when n < 2. */
export function sampleStd(n: number, s: number, s2: number): number {
  if (n < 2) return NaN;
  // Rounding can make the difference slightly negative for constant values.
  return Math.sqrt(Math.max(0, (s2 - (s * s) / n) / (n - 1)));
}
