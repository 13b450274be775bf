/**
 * Writes Arrow IPC files atomically: bytes go to `path + '.tmp-<pid>-<rand>'`, which is renamed
 * over `path` only after the last byte is flushed, so readers never see a partial file and a
 * failed write leaves nothing behind. The opposite of {@link openRecordBatches}.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  Data,
  Field,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  util,
  RecordBatchStreamWriter,
  Table,
  Utf8,
  makeVector,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import type { ArrowIpcFormat } from './arrow-source.js';
import { ShapeError } from '../errors.js';
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
    // Errors of the batch source are caught here and rethrown after the pipeline has closed:
    // thrown into Arrow's writer stream they surface as unhandled rejections instead.
    let failure: { error: unknown } | null = null;
    async function* guarded(): AsyncGenerator<RecordBatch> {
      try {
        yield* withOneSchema(batches);
      } catch (error) {
        failure = { error };
      }
    }
    // A small highWaterMark keeps at most a couple of batches queued ahead of the file (default: 16).
    await pipeline(Readable.from(guarded(), { objectMode: true, highWaterMark: 2 }), writer, createWriteStream(tmp));
    if (failure !== null) throw (failure as { error: unknown }).error;
  });
}

/**
 * Gives every batch the first batch's schema, with all fields nullable. Arrow's writer silently
 * ends the file and starts a new stream when a batch's schema differs, even if only in field
 * nullability (a batch that happens to have no nulls), which would truncate the output.
 * @throws ShapeError when batches really differ (names or types).
 */
async function* withOneSchema(batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>): AsyncGenerator<RecordBatch> {
  let schema: Schema | null = null;
  let index = 0;
  for await (const batch of batches) {
    schema ??= new Schema(batch.schema.fields.map((f) => f.clone({ nullable: true })), batch.schema.metadata);
    const fields = batch.schema.fields;
    const same =
      fields.length === schema.fields.length &&
      fields.every((f, i) => f.name === schema!.fields[i]!.name && util.compareTypes(f.type, schema!.fields[i]!.type));
    if (!same) {
      throw new ShapeError(`Record batch ${index} has columns (${describeFields(fields)}), expected (${describeFields(schema.fields)}) like batch 0`);
    }
    yield new RecordBatch(schema, withDistinctBuffers(batch.data, []));
    index++;
  }
}

/** A byte range of one ArrayBuffer that a batch's body will contain. */
interface Span {
  readonly buffer: ArrayBufferLike;
  readonly start: number;
  readonly end: number;
}

/**
 * `batch.data` with every buffer that overlaps an earlier buffer of the batch copied. Arrow's
 * writer hands the body to its output queue as views of the original arrays, and the queue
 * (`joinUint8Arrays` → `collapseContiguousByteRanges`) merges consecutive views of one
 * ArrayBuffer whose ranges touch or overlap: the same typed array written as two columns
 * collapses into one copy and the body comes out shorter than the message says (a corrupt
 * file). Buffers that are only adjacent merge into exactly the bytes wanted, so only
 * overlapping ones are copied.
 */
function withDistinctBuffers<T extends Data>(data: T, seen: Span[]): T {
  let changed = false;
  // The order of Data.buffers: value offsets, values, validity bitmap, type ids.
  const original = [data.valueOffsets, data.values, data.nullBitmap, data.typeIds] as (Uint8Array | undefined)[];
  const buffers = original.map((view) => {
    if (view === undefined || view === null || view.byteLength === 0) return view;
    const span = { buffer: view.buffer, start: view.byteOffset, end: view.byteOffset + view.byteLength };
    if (seen.some((s) => s.buffer === span.buffer && s.start < span.end && span.start < s.end)) {
      changed = true;
      return view.slice(); // a typed array's slice keeps its class (Float64Array stays one) with a fresh ArrayBuffer
    }
    seen.push(span);
    return view;
  });
  // Children may be undefined or hold undefined entries (apache-arrow's empty struct/table data).
  const originalChildren = (data.children ?? []) as (Data | undefined)[];
  const children = originalChildren.map((child) => (child === undefined ? child : withDistinctBuffers(child, seen)));
  if (!changed && children.every((child, i) => child === originalChildren[i])) return data;
  return data.clone(data.type, data.offset, data.length, data.nullCount, buffers as unknown as T['buffers'], children as Data[]) as T;
}

function describeFields(fields: readonly Field[]): string {
  return fields.map((f) => `${f.name}: ${String(f.type)}`).join(', ');
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
