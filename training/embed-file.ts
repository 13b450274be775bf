/**
 * Batch embedding: reads a transactions file with a model's schema mapping and vocabularies
 * (unseen categories map to the reserved index 1), embeds each client from its last `maxEvents`
 * events in batches and streams the rows to the output file. Only one batch of embeddings exists
 * at a time; the file appears under its final name only when complete.
 */
import { AS_OF_METADATA_KEY, asOfApplies, type AsOf } from '../data/as-of.js';
import { readSequences } from '../data/read-sequences.js';
import type { SchemaMapping } from '../data/schema-mapping.js';
import { clientCount, pickClientIds, type ClientIds, type SequenceSet } from '../data/sequence-set.js';
import type { Vocabularies } from '../data/vocabulary.js';
import { type BackendName, initBackend } from '../encoders/backend.js';
import { ConfigError } from '../errors.js';
import { expectInteger } from '../options.js';
import { collateTails } from '../sampling/collate.js';
import { type EmbeddingChunk, type EmbeddingFormat, writeEmbeddings } from '../data/embedding-sink.js';
import { loadModelDirectory } from './model-files.js';
import { modelFingerprint } from './model-fingerprint.js';
import { registryVersionOf } from './model-version.js';
import { expectFiniteEmbeddings } from './finite-embeddings.js';
import { embedIncrementally } from './incremental/embed-incrementally.js';

/** Which part of the clients one embedding job handles (the pipeline shards large files). */
export interface Shard {
  /** This shard, 0-based, < `count`. */
  readonly index: number;
  /** Number of shards. */
  readonly count: number;
  /** `'range'`: contiguous blocks in file order; `'hash'`: by a hash of the client id (stable across files). @defaultValue `'range'` */
  readonly by?: 'range' | 'hash';
}

/** Reads a transactions dataset with a model's schema mapping and vocabularies, cut at `asOf` when given (see {@link EmbedFileOptions.read}). */
export type SequenceReader = (data: string, schema: SchemaMapping, vocabularies: Vocabularies, asOf?: AsOf) => Promise<SequenceSet>;

/** Inputs of {@link embedFile}. */
export interface EmbedFileOptions {
  /** Model directory written by training. */
  readonly model: string;
  /** Transactions dataset with the model's schema mapping: an Arrow/Parquet file, a directory or a glob (data/dataset.ts). */
  readonly data: string;
  /** Embed from the events at or before this cut-off only; recorded as `meles.as_of` in the output's metadata. @defaultValue every event */
  readonly asOf?: AsOf;
  /** Output file. */
  readonly out: string;
  /** @defaultValue `'arrow'` */
  readonly format?: EmbeddingFormat;
  /** Embed each client from its last N events. @defaultValue `2000` (ptls keeps 1600–2000) */
  readonly maxEvents?: number;
  /** L2-normalise rows (exported embeddings are raw by default, as ptls). @defaultValue `false` */
  readonly l2?: boolean;
  /** Most clients per batch. @defaultValue `256` */
  readonly batchSize?: number;
  /**
   * Most events per batch (a batch closes earlier when its clients' tails would exceed it), which
   * bounds tfjs memory for long histories; a single longer client still forms its own batch.
   * @defaultValue `65536`
   */
  readonly maxBatchEvents?: number;
  /** Embed only this shard of the clients. @defaultValue all clients */
  readonly shard?: Shard;
  /**
   * Reads `data` into sequences with the model's schema mapping and vocabularies. Injected by
   * callers that embed several shards of one file in one process, so the file is read once
   * instead of once per shard (the pipeline's worker children keep the last file read).
   * @defaultValue {@link readSequences} (a fresh read every call)
   */
  readonly read?: SequenceReader;
  /** @defaultValue `'auto'` */
  readonly backend?: BackendName | 'auto';
  /** Called after every batch written (the CLI draws its progress bar from these; nothing is printed here). */
  readonly onProgress?: (progress: EmbedProgress) => void;
  /**
   * Continue from this state file (incremental embedding, GRU/LSTM only): `data` holds only the
   * new events, and the output has every client of the state and the data (see
   * training/incremental/). Not with `maxEvents` (a state covers the whole history) nor `shard`.
   * @defaultValue none
   */
  readonly state?: string;
  /** Also write each client's encoder state here (every event of the history is embedded, not the last `maxEvents`). @defaultValue none */
  readonly stateOut?: string;
  /**
   * Registry version recorded as `meles.model_version` (with the fingerprint as `meles.model_sha256`).
   * @defaultValue the version when `model` is `<registry>/models/<version>` (model-version.ts), else `null`
   */
  readonly modelVersion?: string | null;
}

/** Progress of {@link embedFile} after one batch. */
export interface EmbedProgress {
  /** Clients embedded so far. */
  readonly clients: number;
  /** Clients to embed (in this shard). */
  readonly total: number;
}

/** What {@link embedFile} wrote. */
export interface EmbedResult {
  readonly out: string;
  readonly format: EmbeddingFormat;
  /** Rows written (clients in this shard). */
  readonly clients: number;
  /** Embedding width. */
  readonly width: number;
  /** Wall time of the whole call, in seconds. */
  readonly seconds: number;
  /** Of which reading (and grouping) the sequences, in seconds. */
  readonly readSeconds: number;
  readonly backend: BackendName;
  /** The as-of cut-off applied (also `meles.as_of` in the file); absent when none was (a scheduled due time on a numeric time column). */
  readonly asOf?: string;
}

/** Embeds every client (of the shard) of `options.data`; see the module comment. */
export async function embedFile(options: EmbedFileOptions): Promise<EmbedResult> {
  if (options.state !== undefined || options.stateOut !== undefined) return embedWithStates(options);
  const format = options.format ?? 'arrow';
  const maxEvents = expectInteger('maxEvents', options.maxEvents ?? 2000, 1);
  const batchSize = expectInteger('batchSize', options.batchSize ?? 256, 1);
  const maxBatchEvents = expectInteger('maxBatchEvents', options.maxBatchEvents ?? 65536, 1);
  const shard = options.shard;
  if (shard) {
    expectInteger('shard.count', shard.count, 1);
    expectInteger('shard.index', shard.index, 0, shard.count - 1);
  }
  const started = performance.now();
  const backend = await initBackend(options.backend ?? 'auto');
  const loaded = await loadModelDirectory(options.model);
  const { model } = loaded;
  try {
    const read = options.read ?? readFresh;
    const readStarted = performance.now();
    const sequences = await read(options.data, loaded.schema, loaded.vocabularies, options.asOf);
    const readSeconds = (performance.now() - readStarted) / 1000;
    const clients = selectClients(sequences, shard);
    async function* chunks(): AsyncGenerator<EmbeddingChunk> {
      for (let start = 0, end = 0; start < clients.length; start = end) {
        end = batchEnd(sequences, clients, start, batchSize, maxBatchEvents, maxEvents);
        const part = clients.subarray(start, end);
        const batch = collateTails(sequences, part, maxEvents);
        const embeddings = model.embed(batch, options.l2 === true);
        const values = (await embeddings.data()) as Float32Array;
        embeddings.dispose();
        expectFiniteEmbeddings(values, model.width, options.model, (r) => `client ${String(sequences.ids.values[part[r]!])}`);
        options.onProgress?.({ clients: start + part.length, total: clients.length });
        yield { ids: pickClientIds(sequences.ids, part), values };
      }
    }
    // The output keeps the source's id column name and type (the model's schema mapping).
    const asOf = options.asOf !== undefined && asOfApplies(options.asOf, sequences.timeUnit) ? options.asOf.text : undefined;
    const metadata = asOf === undefined ? {} : { metadata: { [AS_OF_METADATA_KEY]: asOf } };
    const recorded = { version: options.modelVersion !== undefined ? options.modelVersion : await registryVersionOf(options.model), sha256: await modelFingerprint(options.model) };
    const columns = { width: model.width, idColumn: loaded.schema.id, idKind: sequences.ids.kind, ...metadata, model: recorded };
    const rows = await writeEmbeddings(options.out, format, columns, chunks());
    return { out: options.out, format, clients: rows, width: model.width, seconds: (performance.now() - started) / 1000, readSeconds, backend, ...(asOf === undefined ? {} : { asOf }) };
  } finally {
    model.dispose();
  }
}

/** The `state`/`stateOut` branch: incremental embedding (training/incremental/). */
async function embedWithStates(options: EmbedFileOptions): Promise<EmbedResult> {
  const flag = options.state !== undefined ? 'state' : 'stateOut';
  if (options.maxEvents !== undefined) {
    throw new ConfigError(`\`maxEvents\` cannot be combined with \`${flag}\`: a state summarises every event of a client's history, while maxEvents embeds only the last N (so the two would not agree); drop maxEvents`);
  }
  if (options.shard !== undefined) throw new ConfigError(`\`shard\` cannot be combined with \`${flag}\`: incremental embedding handles every client of the state and the data in one call`);
  const { maxEvents: _m, shard: _s, state, stateOut, ...rest } = options;
  const result = await embedIncrementally({ ...rest, ...(state === undefined ? {} : { state }), ...(stateOut === undefined ? {} : { stateOut }) });
  return { out: result.out, format: result.format, clients: result.clients, width: result.width, seconds: result.seconds, readSeconds: result.readSeconds, backend: result.backend };
}

async function readFresh(data: string, schema: SchemaMapping, vocabularies: Vocabularies, asOf?: AsOf): Promise<SequenceSet> {
  return (await readSequences(data, schema, { vocabularies, ...(asOf === undefined ? {} : { asOf }) })).sequences;
}

/** End (exclusive) of the batch starting at `start`: at most `batchSize` clients and `maxBatchEvents` tail events. */
function batchEnd(set: SequenceSet, clients: Int32Array, start: number, batchSize: number, maxBatchEvents: number, maxEvents: number): number {
  let events = 0;
  let end = start;
  while (end < clients.length && end - start < batchSize) {
    const c = clients[end]!;
    const tail = Math.min(maxEvents, set.offsets[c + 1]! - set.offsets[c]!);
    if (end > start && events + tail > maxBatchEvents) break;
    events += tail;
    end++;
  }
  return end;
}

/** Client indices of a shard, in file order. */
export function selectClients(set: SequenceSet, shard: Shard | undefined): Int32Array {
  const n = clientCount(set);
  if (!shard || shard.count === 1) return Int32Array.from({ length: n }, (_, i) => i);
  if ((shard.by ?? 'range') === 'range') {
    const [from, to] = shardRange(n, shard);
    return Int32Array.from({ length: to - from }, (_, i) => from + i);
  }
  const out: number[] = [];
  for (let c = 0; c < n; c++) if (fnv1a(idString(set.ids, c)) % shard.count === shard.index) out.push(c);
  return Int32Array.from(out);
}

/** `[from, to)`: the clients (positions in file order) of a `'range'` shard among `clients`. */
export function shardRange(clients: number, shard: Pick<Shard, 'index' | 'count'>): readonly [number, number] {
  return [Math.floor((clients * shard.index) / shard.count), Math.floor((clients * (shard.index + 1)) / shard.count)];
}

function idString(ids: ClientIds, c: number): string {
  return String(ids.values[c]);
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

