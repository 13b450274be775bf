/**
 * Streams embedding chunks to Arrow IPC, Parquet or CSV: `client_id` (the source id type) then
 * `emb_0 … emb_{d-1}` as float32. Chunks are written as they arrive (one record batch or row group
 * each), never collected, and the file appears under its final name only when complete.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { RecordBatch } from 'apache-arrow';
import { ParquetWriter, schemaFromColumnData, type BasicType, type ColumnSource } from 'hyparquet-writer';
import { fileWriter } from 'hyparquet-writer/src/node.js';
import { tableFromColumns, writeArrowFile, writeArrowTable, type ColumnValues } from './arrow-sink.js';
import { writeAtomically } from './atomic-write.js';
import type { ClientIds } from './sequence-set.js';

/** Output formats of `meles embed`. */
export const EMBEDDING_FORMATS = ['arrow', 'parquet', 'csv'] as const;
/** An output format. */
export type EmbeddingFormat = (typeof EMBEDDING_FORMATS)[number];

/** Embeddings of consecutive clients. */
export interface EmbeddingChunk {
  /** Client ids of the rows, in the source's type. */
  readonly ids: ClientIds;
  /** Row-major `ids.length × width` values. */
  readonly values: Float32Array;
}

/** Writes all chunks to `path` in `format`; returns the number of rows written. */
export async function writeEmbeddings(path: string, format: EmbeddingFormat, width: number, idKind: ClientIds['kind'], chunks: AsyncIterable<EmbeddingChunk>): Promise<number> {
  let rows = 0;
  async function* counted(): AsyncGenerator<EmbeddingChunk> {
    for await (const chunk of chunks) {
      rows += chunk.ids.values.length;
      yield chunk;
    }
  }
  switch (format) {
    case 'arrow':
      await writeArrow(path, width, idKind, counted());
      break;
    case 'parquet':
      await writeParquet(path, width, idKind, counted());
      break;
    case 'csv':
      await writeCsv(path, width, counted());
      break;
  }
  return rows;
}

function columnsOf(chunk: EmbeddingChunk, width: number): Record<string, ColumnValues> {
  const n = chunk.ids.values.length;
  const columns: Record<string, ColumnValues> = { client_id: chunk.ids.values };
  for (let j = 0; j < width; j++) {
    const column = new Float32Array(n);
    for (let i = 0; i < n; i++) column[i] = chunk.values[i * width + j]!;
    columns[`emb_${j}`] = column;
  }
  return columns;
}

function emptyChunk(idKind: ClientIds['kind']): EmbeddingChunk {
  const ids: ClientIds =
    idKind === 'int32'
      ? { kind: idKind, values: new Int32Array(0) }
      : idKind === 'int64'
        ? { kind: idKind, values: new BigInt64Array(0) }
        : idKind === 'float64'
          ? { kind: idKind, values: new Float64Array(0) }
          : { kind: idKind, values: [] };
  return { ids, values: new Float32Array(0) };
}

async function writeArrow(path: string, width: number, idKind: ClientIds['kind'], chunks: AsyncGenerator<EmbeddingChunk>): Promise<void> {
  const first = await chunks.next();
  if (first.done === true) {
    await writeArrowTable(path, tableFromColumns(columnsOf(emptyChunk(idKind), width)));
    return;
  }
  async function* batches(): AsyncGenerator<RecordBatch> {
    yield* tableFromColumns(columnsOf(first.value, width)).batches;
    for await (const chunk of chunks) yield* tableFromColumns(columnsOf(chunk, width)).batches;
  }
  await writeArrowFile(path, batches());
}

const PARQUET_TYPES: Record<ClientIds['kind'], BasicType> = { int32: 'INT32', int64: 'INT64', float64: 'DOUBLE', utf8: 'STRING' };

async function writeParquet(path: string, width: number, idKind: ClientIds['kind'], chunks: AsyncGenerator<EmbeddingChunk>): Promise<void> {
  await writeAtomically(path, async (tmp) => {
    let writer: ParquetWriter | undefined;
    const sources = (chunk: EmbeddingChunk): ColumnSource[] =>
      Object.entries(columnsOf(chunk, width)).map(([name, data], j) => ({
        name,
        data: data as ColumnSource['data'],
        type: j === 0 ? PARQUET_TYPES[idKind] : 'FLOAT',
        nullable: false,
      }));
    const open = (columnData: ColumnSource[]): ParquetWriter => new ParquetWriter({ writer: fileWriter(tmp), schema: schemaFromColumnData({ columnData }) });
    for await (const chunk of chunks) {
      const columnData = sources(chunk);
      writer ??= open(columnData);
      await writer.write({ columnData, rowGroupSize: Math.max(1, chunk.ids.values.length) });
    }
    writer ??= open(sources(emptyChunk(idKind)));
    await writer.finish();
  });
}

async function writeCsv(path: string, width: number, chunks: AsyncGenerator<EmbeddingChunk>): Promise<void> {
  await writeAtomically(path, async (tmp) => {
    const out = createWriteStream(tmp);
    const write = async (text: string): Promise<void> => {
      if (!out.write(text)) await once(out, 'drain');
    };
    await write(`client_id,${Array.from({ length: width }, (_, j) => `emb_${j}`).join(',')}\n`);
    for await (const chunk of chunks) {
      const lines: string[] = [];
      chunk.ids.values.forEach((id: number | bigint | string, i: number) => {
        const cells = [typeof id === 'string' ? csvString(id) : String(id)];
        // 9 significant digits round-trip any float32 exactly.
        for (let j = 0; j < width; j++) cells.push(String(Number(chunk.values[i * width + j]!.toPrecision(9))));
        lines.push(cells.join(','));
      });
      await write(`${lines.join('\n')}\n`);
    }
    out.end();
    await once(out, 'finish');
  });
}

function csvString(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
