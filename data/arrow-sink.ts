/**
 * Writes Arrow IPC files atomically: bytes go to `path + '.tmp-<pid>-<rand>'`, which is renamed
 * over `path` only after the last byte is flushed, so readers never see a partial file and a
 * failed write leaves nothing behind. The opposite of {@link openRecordBatches}.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  RecordBatchFileWriter,
  RecordBatchStreamWriter,
  Table,
  Utf8,
  makeVector,
  vectorFromArray,
  type RecordBatch,
  type Vector,
} from 'apache-arrow';
import type { ArrowIpcFormat } from './arrow-source.js';
import { writeAtomically } from './atomic-write.js';
import './arrow-codecs.js';

export { tempPathFor, writeAtomically } from './atomic-write.js';

/** A column for {@link tableFromColumns}: typed arrays map to Int32/Float32/Float64/Int64, strings to Utf8. */
export type ColumnValues = Int32Array | Float32Array | Float64Array | BigInt64Array | readonly string[];

/**
 * Streams record batches into an Arrow IPC file (or stream) with backpressure, atomically.
 * All batches must share one schema; with the file format they must also share dictionaries.
 * @param format - `'file'` (random access, `.arrow`) or `'stream'` (`.arrows`). @defaultValue `'file'`
 */
export async function writeArrowFile(
  path: string,
  batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>,
  format: ArrowIpcFormat = 'file',
): Promise<void> {
  await writeAtomically(path, async (tmp) => {
    const writer = format === 'file' ? RecordBatchFileWriter.throughNode() : RecordBatchStreamWriter.throughNode();
    await pipeline(Readable.from(batches, { objectMode: true }), writer, createWriteStream(tmp));
  });
}

/** Writes a whole table as an Arrow IPC file, atomically. */
export async function writeArrowTable(path: string, table: Table, format: ArrowIpcFormat = 'file'): Promise<void> {
  // An empty table has no batches but still has a schema worth writing.
  const batches = table.batches.length > 0 ? table.batches : new Table(table.schema).batches;
  if (batches.length === 0) {
    await writeAtomically(path, async (tmp) => {
      const writer = format === 'file' ? new RecordBatchFileWriter() : new RecordBatchStreamWriter();
      writer.reset(undefined, table.schema);
      const bytes = await writer.finish().toUint8Array();
      const out = createWriteStream(tmp);
      await pipeline(Readable.from([bytes]), out);
    });
    return;
  }
  await writeArrowFile(path, batches, format);
}

/**
 * Builds a table from plain columns (all of equal length): Int32Array → Int32, Float32Array →
 * Float32, Float64Array → Float64, BigInt64Array → Int64, string arrays → Utf8.
 */
export function tableFromColumns(columns: Record<string, ColumnValues>): Table {
  const vectors: Record<string, Vector> = {};
  for (const [name, values] of Object.entries(columns)) {
    vectors[name] = Array.isArray(values)
      ? vectorFromArray(values as string[], new Utf8())
      : makeVector(values as Int32Array | Float32Array | Float64Array | BigInt64Array);
  }
  return new Table(vectors);
}
