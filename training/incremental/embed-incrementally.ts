/**
 * Incremental embedding for recurrent encoders: `embedIncrementally` continues every client of a
 * previous state file over the new events only, and writes the embeddings of every client (state ∪
 * new data) plus the new states. Without a previous state it embeds `data` from the start and
 * writes the first state file. Continuing equals re-embedding the whole history (within float32
 * rounding) because a unidirectional GRU/LSTM's state after an event summarises everything before it.
 *
 * Order of work, so bad input writes nothing and an old state survives any failure: refusals
 * (model kind, another model's state) before reading data; the new states to a staging file (a
 * client whose new events start before its state time fails here, leaving nothing); the embeddings
 * streamed from that staging file into `out` (atomic); last, the staging file renamed to `stateOut`.
 */
import { rename, rm } from 'node:fs/promises';
import { AS_OF_METADATA_KEY, type AsOf } from '../../data/as-of.js';
import { tempPathFor } from '../../data/atomic-write.js';
import { type EmbeddingChunk, type EmbeddingFormat, writeEmbeddings } from '../../data/embedding-sink.js';
import { readSequences } from '../../data/read-sequences.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import type { SequenceSet } from '../../data/sequence-set.js';
import { type OpenedStateFile, openStateFile, type StateChunk, type StateFileHeader, writeStateFile } from '../../data/state-file.js';
import type { Vocabularies } from '../../data/vocabulary.js';
import { type BackendName, initBackend } from '../../encoders/backend.js';
import { incrementalRefusal } from '../../encoders/sequence-model.js';
import { ConfigError, DataFormatError } from '../../errors.js';
import { expectInteger } from '../../options.js';
import { modelFingerprint } from '../model-fingerprint.js';
import { loadModelDirectory } from '../model-files.js';
import { registryVersionOf } from '../model-version.js';
import { type ContinueCounts, continueStates } from './continue-states.js';

/** Reads the new events (same contract as embed-file's `SequenceReader`). */
export type IncrementalReader = (data: string, schema: SchemaMapping, vocabularies: Vocabularies, asOf?: AsOf) => Promise<SequenceSet>;

/** Inputs of {@link embedIncrementally}. */
export interface IncrementalEmbedOptions {
  /** Model directory; must be the one that wrote `state` (checked by fingerprint). */
  readonly model: string;
  /**
   * The state file of the previous run (`stateOut` of an earlier call or `meles embed --state-out`).
   * @defaultValue none: every client of `data` starts from the model's start state (a full embedding)
   */
  readonly state?: string;
  /** The new events only (a file, directory or glob, as `meles embed --data`). */
  readonly data: string;
  /** Embeddings of every client of `state` ∪ `data`. */
  readonly out: string;
  /** Where to write the new state file (may equal `state`: replaced only on success). @defaultValue not written */
  readonly stateOut?: string;
  /** @defaultValue `'arrow'` */
  readonly format?: EmbeddingFormat;
  /** L2-normalise the embeddings (states keep the raw encoder state). @defaultValue `false` */
  readonly l2?: boolean;
  /** Most clients per batch. @defaultValue `256` */
  readonly batchSize?: number;
  /** Most events per batch (a longer client forms its own batch). @defaultValue `65536` */
  readonly maxBatchEvents?: number;
  /** Only new events at or before this cut-off; recorded as `meles.as_of` in the embeddings. @defaultValue every event */
  readonly asOf?: AsOf;
  /** Reads `data`. @defaultValue `readSequences` */
  readonly read?: IncrementalReader;
  /** @defaultValue `'auto'` */
  readonly backend?: BackendName | 'auto';
  /** Registry version recorded as `meles.model_version`. @defaultValue as `embedFile`'s `modelVersion` */
  readonly modelVersion?: string | null;
  /** Called after every embedding batch with clients embedded so far and the clients of `data`. */
  readonly onProgress?: (progress: { readonly clients: number; readonly total: number }) => void;
}

/** What {@link embedIncrementally} wrote. */
export interface IncrementalEmbedResult {
  readonly out: string;
  readonly format: EmbeddingFormat;
  /** The state file written, if any. */
  readonly stateOut?: string;
  /** Rows written: clients of state ∪ data. */
  readonly clients: number;
  /** Clients continued from their state over new events. */
  readonly continued: number;
  /** Clients first seen in `data`. */
  readonly started: number;
  /** Clients of the state without new events (embedding and state kept). */
  readonly unchanged: number;
  /** New events read. */
  readonly events: number;
  readonly width: number;
  /** Wall time of the whole call, in seconds. */
  readonly seconds: number;
  /** Of which reading the new events, in seconds. */
  readonly readSeconds: number;
  readonly backend: BackendName;
}

/** Continues (or starts) the states of every client; see the module comment. */
export async function embedIncrementally(options: IncrementalEmbedOptions): Promise<IncrementalEmbedResult> {
  const format = options.format ?? 'arrow';
  const batchSize = expectInteger('batchSize', options.batchSize ?? 256, 1);
  const maxBatchEvents = expectInteger('maxBatchEvents', options.maxBatchEvents ?? 65536, 1);
  for (const [name, path] of [['state', options.state], ['stateOut', options.stateOut]] as const) {
    if (path !== undefined && path === options.out) throw new ConfigError(`The embeddings \`out\` and \`${name}\` are the same file \`${path}\`; give them different paths`);
  }
  const started = performance.now();
  const backend = await initBackend(options.backend ?? 'auto');
  const loaded = await loadModelDirectory(options.model);
  const { model } = loaded;
  const staging = `${tempPathFor(options.stateOut ?? options.out)}.state.arrow`;
  let previous: OpenedStateFile | undefined;
  try {
    const refusal = incrementalRefusal(model.config);
    if (refusal !== undefined) throw new ConfigError(`${options.model}: ${refusal}`);
    const shape = model.stateShape();
    const fingerprint = await modelFingerprint(options.model);
    const layout = { kind: model.config.sequence.kind, ...shape };
    previous = options.state === undefined ? undefined : await openStateFile(options.state);
    if (previous && options.state !== undefined) checkPrevious(options.state, previous.header, options.model, fingerprint, loaded.schema.id);

    const read = options.read ?? readFresh;
    const readStarted = performance.now();
    const sequences = await read(options.data, loaded.schema, loaded.vocabularies, options.asOf);
    const readSeconds = (performance.now() - readStarted) / 1000;
    if (previous && options.state !== undefined) checkData(options.state, previous.header, options.data, sequences);

    const header: StateFileHeader = previous?.header ?? { idColumn: loaded.schema.id, idKind: sequences.ids.kind, modelFingerprint: fingerprint, layout, timeUnit: sequences.timeUnit };
    const counts: ContinueCounts = { continued: 0, started: 0, unchanged: 0 };
    const onProgress = options.onProgress;
    const states = continueStates(
      {
        model,
        modelPath: options.model,
        sequences,
        dataPath: options.data,
        layout,
        ...(previous && options.state !== undefined ? { previous: { path: options.state, chunks: previous.chunks } } : {}),
        batchSize,
        maxBatchEvents,
        ...(onProgress ? { onProgress: (clients: number, total: number) => onProgress({ clients, total }) } : {}),
      },
      counts,
    );
    await writeStateFile(staging, header, states);

    const metadata = options.asOf === undefined ? {} : { metadata: { [AS_OF_METADATA_KEY]: options.asOf.text } };
    const version = options.modelVersion !== undefined ? options.modelVersion : await registryVersionOf(options.model);
    const columns = { width: model.width, idColumn: header.idColumn, idKind: header.idKind, ...metadata, model: { version, sha256: fingerprint } };
    const rows = await writeEmbeddings(options.out, format, columns, embeddingsOf(staging, options.l2 === true));
    if (options.stateOut !== undefined) await rename(staging, options.stateOut);
    return {
      out: options.out,
      format,
      ...(options.stateOut === undefined ? {} : { stateOut: options.stateOut }),
      clients: rows,
      ...counts,
      events: sequences.times.length,
      width: model.width,
      seconds: (performance.now() - started) / 1000,
      readSeconds,
      backend,
    };
  } finally {
    model.dispose();
    // Closes the old state file when a refusal came before it was read through.
    await previous?.chunks.return(undefined);
    await rm(staging, { force: true });
  }
}

async function readFresh(data: string, schema: SchemaMapping, vocabularies: Vocabularies, asOf?: AsOf): Promise<SequenceSet> {
  return (await readSequences(data, schema, { vocabularies, ...(asOf === undefined ? {} : { asOf }) })).sequences;
}

/** A state from another model, another layout or another id column cannot be continued. */
function checkPrevious(path: string, header: StateFileHeader, modelDir: string, fingerprint: string, idColumn: string): void {
  if (header.modelFingerprint !== fingerprint) {
    throw new DataFormatError(
      `${path}: the state was made by another model (fingerprint ${header.modelFingerprint.slice(0, 12)}…), not by ${modelDir} ` +
        `(${fingerprint.slice(0, 12)}…); a state can only be continued by the model that wrote it: embed the whole history ` +
        'with this model (without --state) and --state-out to start a new state',
    );
  }
  if (header.idColumn !== idColumn) {
    throw new DataFormatError(`${path}: expected the id column \`${idColumn}\` of the model's schema mapping, found \`${header.idColumn}\``);
  }
}

function checkData(statePath: string, header: StateFileHeader, dataPath: string, set: SequenceSet): void {
  if (set.ids.kind !== header.idKind) {
    throw new DataFormatError(`${dataPath}: id column \`${header.idColumn}\`: expected ${header.idKind} ids like the state ${statePath}, found ${set.ids.kind}`);
  }
  if (set.timeUnit !== header.timeUnit) {
    const what = (u: string): string => (u === 'ms' ? 'a date/timestamp time column' : 'a numeric time column');
    throw new DataFormatError(`${dataPath}: expected ${what(header.timeUnit)} like the state ${statePath}, found ${what(set.timeUnit)}`);
  }
}

/** The embeddings of a state file: each client's last-layer `h`, L2-normalised on request (as `l2Normalize`). */
async function* embeddingsOf(statePath: string, l2: boolean): AsyncGenerator<EmbeddingChunk> {
  const opened = await openStateFile(statePath);
  for await (const chunk of opened.chunks) yield { ids: chunk.ids, values: lastLayerH(chunk, opened.header.layout.hidden, l2) };
}

function lastLayerH(chunk: StateChunk, hidden: number, l2: boolean): Float32Array {
  const h = chunk.states[chunk.states.length - 1]![0]!;
  if (!l2) return h;
  const out = new Float32Array(h.length);
  for (let r = 0; r * hidden < h.length; r++) {
    let sum = 0;
    for (let j = 0; j < hidden; j++) sum += h[r * hidden + j]! ** 2;
    const scale = 1 / (Math.sqrt(sum) + 1e-9);
    for (let j = 0; j < hidden; j++) out[r * hidden + j] = h[r * hidden + j]! * scale;
  }
  return out;
}
