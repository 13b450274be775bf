/**
 * Streams embedding chunks to Arrow IPC, Parquet or CSV through the keyed sink: the id column
 * (the source's id name and type) then `emb_0 … emb_{d-1}` as float32, with the id column's name
 * in the file's metadata. Rows arrive row-major from the encoder and are split into columns here.
 */
import { KEYED_FORMATS, writeKeyedTable, type KeyedChunk, type KeyedFormat } from './keyed-sink.js';
import type { ClientIds } from './sequence-set.js';

/** Schema metadata key of the registry version of the model that made an embedding file (absent: not from a registry). */
export const MODEL_VERSION_METADATA_KEY = 'meles.model_version';
/** Schema metadata key of the model's content hash (`modelFingerprint`), which `compare`/`evaluate` check before joining files. */
export const MODEL_SHA256_METADATA_KEY = 'meles.model_sha256';
/**
 * Schema metadata key of the SHA-256 of the LightGBM model (`model.txt`, as `fit.json` records it)
 * that wrote a predictions file. A key of its own, not {@link MODEL_SHA256_METADATA_KEY}: joins refuse
 * files of different embedding models, and predictions beside embeddings are not that.
 */
export const SCORING_MODEL_SHA256_METADATA_KEY = 'meles.scoring_model_sha256';

/** The model that made an embedding file. */
export interface EmbeddingModel {
  /** Registry version (`v3`) when the model came from a registry, else `null` (then no version key is written). */
  readonly version: string | null;
  /** `modelFingerprint` of the model directory. */
  readonly sha256: string;
}

/** Output formats of `meles embed`. */
export const EMBEDDING_FORMATS = KEYED_FORMATS;
/** An output format. */
export type EmbeddingFormat = KeyedFormat;

/** Embeddings of consecutive clients. */
export interface EmbeddingChunk {
  /** Client ids of the rows, in the source's type. */
  readonly ids: ClientIds;
  /** Row-major `ids.length × width` values. */
  readonly values: Float32Array;
}

/** The shape of an embedding file. */
export interface EmbeddingColumns {
  /** Embedding width (number of `emb_*` columns). */
  readonly width: number;
  /** Name of the id column: the source's (the model's schema mapping id). */
  readonly idColumn: string;
  /** The id type (the source's). */
  readonly idKind: ClientIds['kind'];
  /** More Arrow/Parquet metadata (e.g. `meles.as_of`). @defaultValue none */
  readonly metadata?: Readonly<Record<string, string>>;
  /** The model, recorded as {@link MODEL_VERSION_METADATA_KEY} and {@link MODEL_SHA256_METADATA_KEY}. @defaultValue not recorded */
  readonly model?: EmbeddingModel;
}

/** The metadata entries recording `model` (the version only when there is one). */
export function modelMetadata(model: EmbeddingModel): Record<string, string> {
  return { ...(model.version === null ? {} : { [MODEL_VERSION_METADATA_KEY]: model.version }), [MODEL_SHA256_METADATA_KEY]: model.sha256 };
}

/** Writes all chunks to `path` in `format`; returns the number of rows written. */
export async function writeEmbeddings(path: string, format: EmbeddingFormat, columns: EmbeddingColumns, chunks: AsyncIterable<EmbeddingChunk>): Promise<number> {
  const { width } = columns;
  async function* byColumn(): AsyncGenerator<KeyedChunk> {
    for await (const chunk of chunks) {
      const n = chunk.ids.values.length;
      const values = Array.from({ length: width }, (_, j) => {
        const column = new Float32Array(n);
        for (let i = 0; i < n; i++) column[i] = chunk.values[i * width + j]!;
        return column;
      });
      yield { ids: chunk.ids, values };
    }
  }
  const names = Array.from({ length: width }, (_, j) => `emb_${j}`);
  const metadata = { ...columns.metadata, ...(columns.model ? modelMetadata(columns.model) : {}) };
  const keyed = { idColumn: columns.idColumn, idKind: columns.idKind, names, ...(Object.keys(metadata).length > 0 ? { metadata } : {}) };
  return writeKeyedTable(path, format, keyed, byColumn());
}
