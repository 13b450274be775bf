/**
 * The hand-crafted baseline of pytorch-lifestream (`AggFeatureSeqEncoder`), computed from
 * columnar sequences: per client the sequence length; per numeric column sum, mean and std; per
 * categorical × numeric pair the count, mean and std for each category value; per categorical
 * the number of distinct values. Pure computation, no IO (see aggregate-features-io.ts).
 *
 * Conventions (documented, tested):
 * - std is the sample std (ddof = 1), as pandas computes it; it is NaN for fewer than 2 events,
 *   and means are NaN for 0 events, so LightGBM sees "missing" instead of a fake 0;
 * - category values are the vocabulary's indices 1.. : index 1 (`<unk>`) collects nulls and
 *   values cut off by the vocabulary size, so the column layout only depends on the vocabulary.
 */
import type { Vocabularies } from '../data/vocabulary.js';
import { ConfigError } from '../errors.js';
import { clientCount, type ClientIds, type SequenceSet } from '../data/sequence-set.js';

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

/**
 * Computes the aggregate features of every client in `sequences`.
 * @param vocabularies - the vocabularies the categorical indices refer to (for readable names).
 */
export function computeAggregateFeatures(sequences: SequenceSet, vocabularies: Vocabularies): AggregateFeatures {
  const clients = clientCount(sequences);
  const numericNames = Object.keys(sequences.numeric);
  const numeric = numericNames.map((n) => sequences.numeric[n]!);
  const names: string[] = [];
  const columns: Float32Array[] = [];
  const add = (name: string): Float32Array => {
    const column = new Float32Array(clients);
    names.push(name);
    columns.push(column);
    return column;
  };

  const offsets = sequences.offsets;
  const seqLen = add(SEQ_LEN);
  for (let c = 0; c < clients; c++) seqLen[c] = offsets[c + 1]! - offsets[c]!;

  for (let k = 0; k < numeric.length; k++) {
    const values = numeric[k]!;
    const [sum, mean, std] = [add(`${numericNames[k]}__sum`), add(`${numericNames[k]}__mean`), add(`${numericNames[k]}__std`)];
    for (let c = 0; c < clients; c++) {
      let s = 0;
      let s2 = 0;
      for (let e = offsets[c]!; e < offsets[c + 1]!; e++) {
        const x = values[e]!;
        s += x;
        s2 += x * x;
      }
      const n = offsets[c + 1]! - offsets[c]!;
      sum[c] = s;
      mean[c] = n > 0 ? s / n : NaN;
      std[c] = sampleStd(n, s, s2);
    }
  }

  for (const [column, codes] of Object.entries(sequences.categorical)) {
    const vocabulary = vocabularies[column];
    if (vocabulary === undefined) throw new ConfigError(`No vocabulary for categorical column \`${column}\` (have: ${Object.keys(vocabularies).join(', ')})`);
    addCategorical(column, codes, vocabulary.tokens, numericNames, numeric, offsets, add);
  }
  return { ids: sequences.ids, names, columns };
}

function addCategorical(
  column: string,
  codes: Int32Array,
  tokens: readonly string[],
  numericNames: readonly string[],
  numeric: readonly Float32Array[],
  offsets: Int32Array,
  add: (name: string) => Float32Array,
): void {
  const size = tokens.length;
  const N = numeric.length;
  const clients = offsets.length - 1;
  // Index 0 is padding and never occurs in data, so values start at 1.
  const counts: Float32Array[] = [];
  const means: Float32Array[][] = [];
  const stds: Float32Array[][] = [];
  for (let v = 1; v < size; v++) {
    const token = tokens[v]!;
    counts[v] = add(`${column}_${token}__count`);
    means[v] = [];
    stds[v] = [];
    for (let k = 0; k < N; k++) {
      means[v]![k] = add(`${numericNames[k]}__${column}_${token}__mean`);
      stds[v]![k] = add(`${numericNames[k]}__${column}_${token}__std`);
    }
  }
  const distinct = add(`${column}__distinct`);

  const count = new Int32Array(size);
  const sum = new Float64Array(size * N);
  const sum2 = new Float64Array(size * N);
  const touched = new Int32Array(size);
  for (let c = 0; c < clients; c++) {
    let nTouched = 0;
    for (let e = offsets[c]!; e < offsets[c + 1]!; e++) {
      const v = codes[e]!;
      if (count[v] === 0) touched[nTouched++] = v;
      count[v]!++;
      for (let k = 0; k < N; k++) {
        const x = numeric[k]![e]!;
        sum[v * N + k]! += x;
        sum2[v * N + k]! += x * x;
      }
    }
    // Columns are zero-filled, so only values this client has need writing; absent values get
    // count 0 and NaN mean/std.
    distinct[c] = nTouched;
    for (let v = 1; v < size; v++) {
      if (count[v] !== 0) continue;
      for (let k = 0; k < N; k++) {
        means[v]![k]![c] = NaN;
        stds[v]![k]![c] = NaN;
      }
    }
    for (let t = 0; t < nTouched; t++) {
      const v = touched[t]!;
      const n = count[v]!;
      if (v > 0) {
        counts[v]![c] = n;
        for (let k = 0; k < N; k++) {
          means[v]![k]![c] = sum[v * N + k]! / n;
          stds[v]![k]![c] = sampleStd(n, sum[v * N + k]!, sum2[v * N + k]!);
        }
      }
      count[v] = 0;
      for (let k = 0; k < N; k++) {
        sum[v * N + k] = 0;
        sum2[v * N + k] = 0;
      }
    }
  }
}

/** Sample standard deviation (ddof = 1) from n, Σx and Σx²; NaN when n < 2. */
export function sampleStd(n: number, s: number, s2: number): number {
  if (n < 2) return NaN;
  // Rounding can make the difference slightly negative for constant values.
  return Math.sqrt(Math.max(0, (s2 - (s * s) / n) / (n - 1)));
}
