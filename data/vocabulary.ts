/**
 * Frequency-ranked vocabularies for categorical columns, as in ptls' Spark converter:
 * index 0 is padding, index 1 stands for unseen or missing values, and indices 2.. are the
 * tokens by descending count. Ties are broken by first appearance in the data the vocabulary
 * was built from (so a given file always gives the same vocabulary). Saved as JSON and re-used
 * at inference, where tokens that were not seen in training map to 1.
 */
import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError, DataFormatError } from '../errors.js';
import { expectInteger } from '../options.js';
import { writeAtomically } from './atomic-write.js';
import { readJsonFile } from './json-file.js';

/** Index of padding positions. */
export const PAD_INDEX = 0;
/** Index of tokens that are unseen (not in the vocabulary) or missing (null). */
export const UNKNOWN_INDEX = 1;
/** Number of reserved indices before the first real token. */
export const RESERVED = 2;

/** How a vocabulary is cut down. */
export interface VocabularyOptions {
  /** Largest allowed {@link Vocabulary.size}, reserved indices included; rarer tokens map to 1. Minimum: `3`. @defaultValue `Infinity` */
  readonly maxSize?: number;
  /** Tokens seen fewer times than this map to 1. Minimum: `1`. @defaultValue `1` */
  readonly minCount?: number;
}

/**
 * What values a vocabulary was built from: `'number'` (integer or float columns, tokens like `17`)
 * or `'string'` (Utf8 columns). Tokens are stored as text either way, so without it a model
 * trained on Int32 categories maps the string column `"17"`… the same way, but `"mcc_17"` silently
 * out of vocabulary; the kind lets that mismatch be refused.
 */
export type VocabularyKind = 'number' | 'string';

/** The JSON form of a vocabulary (`toJSON`/`fromJSON`). */
export interface VocabularyJSON {
  /** The column type it was built from. @defaultValue absent in files written before it was recorded */
  readonly kind?: VocabularyKind;
  /** Real tokens, most frequent first (index 2 onward). */
  readonly tokens: readonly string[];
  /** Count of each token in the data the vocabulary was built from. */
  readonly counts: readonly number[];
}

/** A frequency-ranked token → index map for one categorical column. */
export class Vocabulary {
  /** Token of index i: `tokens[0] = '<pad>'`, `tokens[1] = '<unk>'`, `tokens[i]` for i >= 2 the real tokens. */
  readonly tokens: readonly string[];
  /** Count of `tokens[i]` when built (0 for the two reserved entries). */
  readonly counts: readonly number[];
  /** The column type the vocabulary was built from, when known. */
  readonly kind: VocabularyKind | undefined;
  private readonly index: Map<string, number>;

  private constructor(real: readonly string[], counts: readonly number[], kind?: VocabularyKind) {
    this.kind = kind;
    this.tokens = ['<pad>', '<unk>', ...real];
    this.counts = [0, 0, ...counts];
    this.index = new Map(real.map((t, i) => [t, i + RESERVED]));
  }

  /** Number of indices, reserved ones included (the embedding table size). */
  get size(): number {
    return this.tokens.length;
  }

  /** Index of `token`, or {@link UNKNOWN_INDEX} when it is not in the vocabulary. */
  indexOf(token: string): number {
    return this.index.get(token) ?? UNKNOWN_INDEX;
  }

  /** Maps a list of tokens to indices at once (used to remap Arrow dictionaries and local codes). */
  indicesOf(tokens: readonly string[]): Int32Array {
    const out = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) out[i] = this.index.get(tokens[i]!) ?? UNKNOWN_INDEX;
    return out;
  }

  /**
   * Builds a vocabulary from distinct tokens and their counts.
   * @param tokens - distinct tokens in order of first appearance (this order breaks count ties).
   * @param counts - `counts[i]` is how often `tokens[i]` occurred.
   */
  static fromCounts(tokens: readonly string[], counts: ArrayLike<number>, options: VocabularyOptions = {}): Vocabulary {
    const maxSize = options.maxSize ?? Infinity;
    if (maxSize !== Infinity) expectInteger('maxSize', maxSize, RESERVED + 1);
    const minCount = expectInteger('minCount', options.minCount ?? 1, 1);
    const order: number[] = [];
    for (let i = 0; i < tokens.length; i++) if (counts[i]! >= minCount) order.push(i);
    // Array.prototype.sort is stable, so equal counts keep first-appearance order.
    order.sort((a, b) => counts[b]! - counts[a]!);
    const kept = order.slice(0, Math.max(0, maxSize - RESERVED));
    return new Vocabulary(kept.map((i) => tokens[i]!), kept.map((i) => counts[i]!));
  }

  /** The same vocabulary, recording that it was built from `kind` values. */
  withKind(kind: VocabularyKind): Vocabulary {
    return new Vocabulary(this.tokens.slice(RESERVED), this.counts.slice(RESERVED), kind);
  }

  /** The JSON form: the kind (when known), real tokens and counts, most frequent first. */
  toJSON(): VocabularyJSON {
    return { ...(this.kind === undefined ? {} : { kind: this.kind }), tokens: this.tokens.slice(RESERVED), counts: this.counts.slice(RESERVED) };
  }

  /**
   * Rebuilds a vocabulary saved with {@link Vocabulary.toJSON}.
   * @param where - named in error messages (file and column).
   * @throws DataFormatError when `json` is not a vocabulary.
   */
  static fromJSON(json: unknown, where: string): Vocabulary {
    const obj = json as Partial<Record<keyof VocabularyJSON, unknown>> | null;
    const tokens = obj?.tokens;
    const counts = obj?.counts;
    if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string')) {
      throw new DataFormatError(`${where}: expected \`tokens\` to be an array of strings, got ${JSON.stringify(tokens)?.slice(0, 80)}`);
    }
    if (!Array.isArray(counts) || counts.length !== tokens.length || !counts.every((c) => Number.isInteger(c) && c >= 0)) {
      throw new DataFormatError(`${where}: expected \`counts\` to be ${tokens.length} non-negative integers, got ${JSON.stringify(counts)?.slice(0, 80)}`);
    }
    if (new Set(tokens).size !== tokens.length) throw new DataFormatError(`${where}: expected distinct tokens, found duplicates`);
    const kind = (json as { kind?: unknown }).kind;
    if (kind !== undefined && kind !== 'number' && kind !== 'string') {
      throw new DataFormatError(`${where}: expected \`kind\` to be "number" or "string", got ${JSON.stringify(kind)?.slice(0, 40)}`);
    }
    return new Vocabulary(tokens as string[], counts as number[], kind);
  }
}

/** One vocabulary per categorical column, keyed by column name. */
export type Vocabularies = Record<string, Vocabulary>;

/** Saves vocabularies as one JSON file `{column: {tokens, counts}}`, atomically. */
export async function saveVocabularies(path: string, vocabularies: Vocabularies): Promise<void> {
  const json: Record<string, VocabularyJSON> = {};
  for (const [column, v] of Object.entries(vocabularies)) json[column] = v.toJSON();
  await writeAtomically(path, (tmp) => writeFile(tmp, JSON.stringify(json)));
}

/**
 * Loads vocabularies saved by {@link saveVocabularies}.
 * @throws ConfigError when the file cannot be read; DataFormatError when it is not valid.
 */
export async function loadVocabularies(path: string): Promise<Vocabularies> {
  // A missing file is a wrong `--vocabularies` path (ConfigError); a corrupt one is bad data.
  const raw = await readJsonFile(path, 'vocabularies', z.record(z.string(), z.unknown()), { unreadableErrorClass: ConfigError });
  const out: Vocabularies = {};
  for (const [column, value] of Object.entries(raw)) out[column] = Vocabulary.fromJSON(value, `${path}, column \`${column}\``);
  return out;
}

/**
 * Refuses to apply a vocabulary built from one kind of values to a column of the other kind, where
 * every value would silently map to `<unk>`. Vocabularies without a recorded kind pass.
 * @param file - the data file, named in the message.
 * @throws DataFormatError naming the file, the column, the vocabulary's kind and the file's.
 */
export function expectVocabularyKind(vocabulary: Vocabulary, fileKind: VocabularyKind, file: string, column: string, fileType: string): void {
  if (vocabulary.kind === undefined || vocabulary.kind === fileKind) return;
  throw new DataFormatError(
    `${file}: categorical column \`${column}\`: the model's vocabulary was built from ${vocabulary.kind} values, but the file has ${fileKind} values (${fileType}); every value would be out of vocabulary. Convert the column to the type the model was trained on`,
  );
}

/**
 * Throws a {@link ConfigError} unless `vocabularies` (when given) has an entry for every column in
 * `columns`: vocabularies re-used at inference must cover the schema's categorical columns.
 */
export function expectVocabulariesFor(columns: readonly string[], vocabularies: Vocabularies | undefined): void {
  if (vocabularies === undefined) return;
  for (const column of columns) {
    if (vocabularies[column] === undefined) {
      throw new ConfigError(`The given vocabularies have no entry for categorical column \`${column}\` (they have: ${Object.keys(vocabularies).join(', ')})`);
    }
  }
}
