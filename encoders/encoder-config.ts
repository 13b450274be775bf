/**
 * Architecture configuration: what the user chooses ({@link EncoderOptions}, validated once) and the
 * complete, serialisable description of a model ({@link EncoderConfig}) that a model directory
 * stores and {@link createSequenceModel} rebuilds from, like tfjs-layers' `getConfig()`.
 */
import { ConfigError } from '../errors.js';
import { expectBoolean, expectInteger, expectKnownKeys, expectNumber, expectOneOf, expectString } from '../options.js';

/** Sequence encoder kinds. */
export const ENCODER_KINDS = ['gru', 'lstm', 'transformer'] as const;
/** A sequence encoder kind. */
export type EncoderKind = (typeof ENCODER_KINDS)[number];

/** User-facing architecture options (config file `encoder` section or CLI flags). */
export interface EncoderOptions {
  /** Sequence encoder. @defaultValue `'gru'` */
  readonly encoder: EncoderKind;
  /** Hidden size of the RNN, or model width of the Transformer. From `1` to {@link MAX_HIDDEN}. @defaultValue `256` */
  readonly hidden: number;
  /** Stacked layers. Minimum `1`. @defaultValue `1` */
  readonly layers: number;
  /** RNN reads each sequence in both directions (embedding size doubles). @defaultValue `false` */
  readonly bidirectional: boolean;
  /** GRU only: learnable initial state `tanh(s)` (ptls `trainable_starter='static'`). @defaultValue `true` */
  readonly learnableInitialState: boolean;
  /** Transformer attention heads; must divide `hidden`. @defaultValue `4` */
  readonly heads: number;
  /** Transformer feed-forward width. @defaultValue `hidden` */
  readonly feedForward?: number;
  /** Embedding size of every categorical column. Minimum `1`. @defaultValue `16` */
  readonly categoricalDim: number;
  /** Std of the noise vector added to all categorical embeddings while training (0 = none). @defaultValue `0.003` */
  readonly embeddingNoise: number;
  /** Batch-normalise numeric columns over real (non-padding) events. @defaultValue `true` */
  readonly batchNorm: boolean;
  /** Linear projection of each event vector to this size (0 = none). @defaultValue `0` */
  readonly projection: number;
}

/** Defaults of {@link EncoderOptions}. */
export const DEFAULT_ENCODER_OPTIONS: EncoderOptions = {
  encoder: 'gru',
  hidden: 256,
  layers: 1,
  bidirectional: false,
  learnableInitialState: true,
  heads: 4,
  categoricalDim: 16,
  embeddingNoise: 0.003,
  batchNorm: true,
  projection: 0,
};

const OPTION_KEYS = [...Object.keys(DEFAULT_ENCODER_OPTIONS), 'feedForward'];

/**
 * The widest encoder accepted. 8192 (the earlier limit) needs ~0.8 GB of GRU weights and three
 * times that for gradients and Adam moments, beyond the wasm backend's 4 GB heap: it crashed with
 * "memory access out of bounds" / "Invalid typed array length" after writing files. 4096 was
 * measured to train (1 epoch, 2026-12, wasm + OpenBLAS).
 */
export const MAX_HIDDEN = 4096;

/** Spreads defaults over `partial` and validates every field; `where` names the source in messages. */
export function resolveEncoderOptions(partial: Partial<Record<keyof EncoderOptions, unknown>> = {}, where = 'encoder options'): EncoderOptions {
  expectKnownKeys(where, partial, OPTION_KEYS);
  const merged = { ...DEFAULT_ENCODER_OPTIONS, ...stripUndefined(partial) } as Record<keyof EncoderOptions, unknown>;
  const hidden = expectInteger('hidden', merged.hidden, 1, MAX_HIDDEN);
  const heads = expectInteger('heads', merged.heads, 1, 64);
  const encoder = expectOneOf('encoder', merged.encoder, ENCODER_KINDS);
  if (encoder === 'transformer' && hidden % heads !== 0) {
    throw new ConfigError(`\`hidden\` must be divisible by \`heads\` for the transformer (got ${hidden} % ${heads} = ${hidden % heads})`);
  }
  return {
    encoder,
    hidden,
    layers: expectInteger('layers', merged.layers, 1, 16),
    bidirectional: expectBoolean('bidirectional', merged.bidirectional),
    learnableInitialState: expectBoolean('learnableInitialState', merged.learnableInitialState),
    heads,
    ...(merged.feedForward === undefined ? {} : { feedForward: expectInteger('feedForward', merged.feedForward, 1, 65536) }),
    categoricalDim: expectInteger('categoricalDim', merged.categoricalDim, 1, 4096),
    embeddingNoise: expectNumber('embeddingNoise', merged.embeddingNoise, 0),
    batchNorm: expectBoolean('batchNorm', merged.batchNorm),
    projection: expectInteger('projection', merged.projection, 0, 65536),
  };
}

/** One categorical input: its column, table rows (vocabulary size incl. padding and unseen) and width. */
export interface CategoricalFeature {
  readonly name: string;
  readonly vocabularySize: number;
  readonly dim: number;
}

/** Event encoder architecture. */
export interface EventEncoderConfig {
  readonly categorical: readonly CategoricalFeature[];
  readonly numeric: readonly string[];
  readonly embeddingNoise: number;
  readonly batchNorm: boolean;
  readonly projection: number;
}

/** Recurrent sequence encoder architecture. */
export interface RnnConfig {
  readonly kind: 'gru' | 'lstm';
  readonly hidden: number;
  readonly layers: number;
  readonly bidirectional: boolean;
  readonly learnableInitialState: boolean;
}

/** Transformer sequence encoder architecture. */
export interface TransformerConfig {
  readonly kind: 'transformer';
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly feedForward: number;
}

/** Sequence encoder architecture, discriminated by `kind`. */
export type SequenceEncoderConfig = RnnConfig | TransformerConfig;

/** A complete model architecture: enough to rebuild the model before loading its weights. */
export interface EncoderConfig {
  readonly event: EventEncoderConfig;
  readonly sequence: SequenceEncoderConfig;
}

/** Input columns of a model, as known from the data's vocabularies. */
export interface FeatureSpec {
  readonly categorical: readonly { readonly name: string; readonly vocabularySize: number }[];
  readonly numeric: readonly string[];
}

/** Builds the full architecture from user options and the data's columns. */
export function buildEncoderConfig(options: EncoderOptions, features: FeatureSpec): EncoderConfig {
  if (features.categorical.length + features.numeric.length === 0) {
    throw new ConfigError('The schema mapping has no categorical or numeric column: nothing to encode');
  }
  const event: EventEncoderConfig = {
    categorical: features.categorical.map((c) => ({ name: c.name, vocabularySize: Math.max(2, c.vocabularySize), dim: options.categoricalDim })),
    numeric: [...features.numeric],
    embeddingNoise: options.embeddingNoise,
    batchNorm: options.batchNorm,
    projection: options.projection,
  };
  const sequence: SequenceEncoderConfig =
    options.encoder === 'transformer'
      ? { kind: 'transformer', hidden: options.hidden, layers: options.layers, heads: options.heads, feedForward: options.feedForward ?? options.hidden }
      : {
          kind: options.encoder,
          hidden: options.hidden,
          layers: options.layers,
          bidirectional: options.bidirectional,
          learnableInitialState: options.encoder === 'gru' && options.learnableInitialState,
        };
  return { event, sequence };
}

/** Validates an architecture read from a model directory (`where` names the file). */
export function parseEncoderConfig(json: unknown, where: string): EncoderConfig {
  const root = expectObject(json, where);
  const event = expectObject(root.event, `${where} \`event\``);
  const sequence = expectObject(root.sequence, `${where} \`sequence\``);
  const categorical = expectArray(event.categorical, `${where} \`event.categorical\``).map((c, i) => {
    const o = expectObject(c, `${where} \`event.categorical[${i}]\``);
    return {
      name: expectString('name', o.name),
      vocabularySize: expectInteger('vocabularySize', o.vocabularySize, 2),
      dim: expectInteger('dim', o.dim, 1),
    };
  });
  const eventConfig: EventEncoderConfig = {
    categorical,
    numeric: expectArray(event.numeric, `${where} \`event.numeric\``).map((n) => expectString('numeric', n)),
    embeddingNoise: expectNumber('embeddingNoise', event.embeddingNoise, 0),
    batchNorm: expectBoolean('batchNorm', event.batchNorm),
    projection: expectInteger('projection', event.projection, 0),
  };
  const kind = expectOneOf('sequence.kind', sequence.kind, ENCODER_KINDS);
  const hidden = expectInteger('hidden', sequence.hidden, 1);
  const layers = expectInteger('layers', sequence.layers, 1);
  const sequenceConfig: SequenceEncoderConfig =
    kind === 'transformer'
      ? { kind, hidden, layers, heads: expectInteger('heads', sequence.heads, 1), feedForward: expectInteger('feedForward', sequence.feedForward, 1) }
      : {
          kind,
          hidden,
          layers,
          bidirectional: expectBoolean('bidirectional', sequence.bidirectional),
          learnableInitialState: expectBoolean('learnableInitialState', sequence.learnableInitialState),
        };
  return { event: eventConfig, sequence: sequenceConfig };
}

/** Width of the event vector the sequence encoder receives. */
export function eventWidth(config: EventEncoderConfig): number {
  if (config.projection > 0) return config.projection;
  return config.categorical.reduce((sum, c) => sum + c.dim, 0) + config.numeric.length;
}

/** Width of the embedding a model produces. */
export function embeddingWidth(config: EncoderConfig): number {
  const s = config.sequence;
  return s.kind !== 'transformer' && s.bidirectional ? 2 * s.hidden : s.hidden;
}

function expectObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`Expected ${where} to be an object, got \`${JSON.stringify(value)}\``);
  return value as Record<string, unknown>;
}

function expectArray(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new ConfigError(`Expected ${where} to be an array, got \`${JSON.stringify(value)}\``);
  return value;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
