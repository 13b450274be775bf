/**
 * Writes per-client tables (embeddings, hand-crafted features): an id column in the source's id
 * name and type, then float32 value columns, as Arrow IPC, Parquet or CSV. Chunks are written as
 * they arrive (one record batch or row group each), never collected, and the file appears under
 * its final name only when complete. The opposite of the keyed-table reader (`keyed-table.ts`).
 *
 * Arrow and Parquet outputs record the id column's name in their metadata under
 * {@link ID_COLUMN_METADATA_KEY}, so `meles compare`/`evaluate` can find it without `--id`.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { RecordBatch, Schema, Table } from 'apache-arrow';
import { ParquetWriter, schemaFromColumnData, type BasicType, type ColumnSource } from 'hyparquet-writer';
import { fileWriter } from 'hyparquet-writer/src/node.js';
import { tableFromColumns, writeArrowFile, writeArrowTable, type ColumnValues } from './arrow-sink.js';
import { writeAtomically } from './atomic-write.js';
import type { ClientIds } from './sequence-set.js';
import { ConfigError } from '../errors.js';
import { ID_COLUMN_METADATA_KEY } from './keyed-table.js';

/** Output formats of keyed tables. */
export const KEYED_FORMATS = ['arrow', 'parquet', 'csv'] as const;
/** An output format. */
export type KeyedFormat = (typeof KEYED_FORMATS)[number];

export { ID_COLUMN_METADATA_KEY };

/** The columns of a keyed table. */
export interface KeyedColumns {
  /** Name of the id column: the source file's id column name. */
  readonly idColumn: string;
  /** The id type (the source file's). */
  readonly idKind: ClientIds['kind'];
  /** Value column names (float32), in order. */
  readonly names: readonly string[];
  /** More key/value metadata for Arrow and Parquet outputs (e.g. `meles.as_of`). @defaultValue none */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Rows of consecutive clients. */
export interface KeyedChunk {
  /** Client ids of the rows, in the source's type. */
  readonly ids: ClientIds;
  /** `values[j][row]` is column `names[j]` of the row. */
  readonly values: readonly Float32Array[];
}

/**
 * Writes all chunks to `path` in `format`; returns the number of rows written.
 * @throws ConfigError when the id column has the same name as a value column.
 */
export async function writeKeyedTable(path: string, format: KeyedFormat, columns: KeyedColumns, chunks: AsyncIterable<KeyedChunk> | Iterable<KeyedChunk>): Promise<number> {
  if (columns.names.includes(columns.idColumn)) {
    throw new ConfigError(`The id column \`${columns.idColumn}\` has the same name as a value column; rename the id column`);
  }
  let rows = 0;
  async function* counted(): AsyncGenerator<KeyedChunk> {
    for await (const chunk of chunks) {
      rows += chunk.ids.values.length;
      yield chunk;
    }
  }
  switch (format) {
    case 'arrow':
      await writeArrow(path, columns, counted());
      break;
    case 'parquet':
      await writeParquet(path, columns, counted());
      break;
    case 'csv':
      await writeCsv(path, columns, counted());
      break;
  }
  return rows;
}

function columnsOf(chunk: KeyedChunk, columns: KeyedColumns): Record<string, ColumnValues> {
  const out: Record<string, ColumnValues> = { [columns.idColumn]: chunk.ids.values };
  columns.names.forEach((name, j) => {
    out[name] = chunk.values[j]!;
  });
  return out;
}

function emptyChunk(columns: KeyedColumns): KeyedChunk {
  const kind = columns.idKind;
  const ids: ClientIds =
    kind === 'int32'
      ? { kind, values: new Int32Array(0) }
      : kind === 'int64'
        ? { kind, values: new BigInt64Array(0) }
        : kind === 'float64'
          ? { kind, values: new Float64Array(0) }
          : { kind, values: [] };
  return { ids, values: columns.names.map(() => new Float32Array(0)) };
}

async function writeArrow(path: string, columns: KeyedColumns, chunks: AsyncGenerator<KeyedChunk>): Promise<void> {
  const metadata = new Map([...Object.entries(columns.metadata ?? {}), [ID_COLUMN_METADATA_KEY, columns.idColumn]]);
  const batchesOf = (chunk: KeyedChunk): RecordBatch[] =>
    tableFromColumns(columnsOf(chunk, columns)).batches.map((b) => new RecordBatch(new Schema(b.schema.fields, metadata), b.data));
  const first = await chunks.next();
  if (first.done === true) {
    const table = tableFromColumns(columnsOf(emptyChunk(columns), columns));
    await writeArrowTable(path, new Table(new Schema(table.schema.fields, metadata)));
    return;
  }
  async function* batches(): AsyncGenerator<RecordBatch> {
    yield* batchesOf(first.value);
    for await (const chunk of chunks) yield* batchesOf(chunk);
  }
  await writeArrowFile(path, batches());
}

const PARQUET_TYPES: Record<ClientIds['kind'], BasicType> = { int32: 'INT32', int64: 'INT64', float64: 'DOUBLE', utf8: 'STRING' };

async function writeParquet(path: string, columns: KeyedColumns, chunks: AsyncGenerator<KeyedChunk>): Promise<void> {
  await writeAtomically(path, async (tmp) => {
    let writer: ParquetWriter | undefined;
    const sources = (chunk: KeyedChunk): ColumnSource[] =>
      Object.entries(columnsOf(chunk, columns)).map(([name, data], j) => ({
        name,
        data: data as ColumnSource['data'],
        type: j === 0 ? PARQUET_TYPES[columns.idKind] : 'FLOAT',
        nullable: false,
      }));
    const open = (columnData: ColumnSource[]): ParquetWriter =>
      new ParquetWriter({
        writer: fileWriter(tmp),
        schema: schemaFromColumnData({ columnData }),
        kvMetadata: [...Object.entries(columns.metadata ?? {}).map(([key, value]) => ({ key, value })), { key: ID_COLUMN_METADATA_KEY, value: columns.idColumn }],
      });
    for await (const chunk of chunks) {
      const columnData = sources(chunk);
      writer ??= open(columnData);
      await writer.write({ columnData, rowGroupSize: Math.max(1, chunk.ids.values.length) });
    }
    writer ??= open(sources(emptyChunk(columns)));
    await writer.finish();
  });
}

async function writeCsv(path: string, columns: KeyedColumns, chunks: AsyncGenerator<KeyedChunk>): Promise<void> {
  await writeAtomically(path, async (tmp) => {
    const out = createWriteStream(tmp);
    const write = async (text: string): Promise<void> => {
      if (!out.write(text)) await once(out, 'drain');
    };
    await write(`${[columns.idColumn, ...columns.names].map(csvString).join(',')}\n`);
    for await (const chunk of chunks) {
      const lines: string[] = [];
      chunk.ids.values.forEach((id: number | bigint | string, i: number) => {
        const cells = [typeof id === 'string' ? csvString(id) : String(id)];
        // 9 significant digits round-trip any float32 exactly.
        for (const column of chunk.values) cells.push(String(Number(column[i]!.toPrecision(9))));
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
