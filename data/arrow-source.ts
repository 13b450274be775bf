/**
 * Reads Arrow IPC files batch by batch. Detects the IPC **file** format (magic `ARROW1` at both
 * ends, random access through a FileHandle, so big files are never loaded whole) and the IPC
 * **stream** format (a sequence of messages, read through a Node stream). Every failure becomes
 * a {@link DataFormatError} that names the file.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { RecordBatchReader, type RecordBatch } from 'apache-arrow';
import { DataFormatError } from '../errors.js';
import { validateArrowFraming, type ArrowIpcFormat } from './arrow-framing.js';
import './arrow-codecs.js';

export type { ArrowIpcFormat } from './arrow-framing.js';

const MAGIC = Buffer.from('ARROW1');
const CONTINUATION = 0xffffffff;

const notArrow = (path: string, found: string): DataFormatError =>
  new DataFormatError(`${path}: expected an Arrow IPC file or stream, found ${found}`);
const truncated = (path: string, detail: string): DataFormatError =>
  new DataFormatError(`${path}: Arrow file is truncated or corrupt (${detail})`);

/**
 * Looks at the first and last bytes of `path` and says which IPC format it is.
 * @throws DataFormatError for a missing, empty, non-Arrow or visibly truncated file.
 */
export async function detectArrowFormat(path: string): Promise<ArrowIpcFormat> {
  const handle = await openOrThrow(path);
  try {
    const { size } = await handle.stat();
    if (size === 0) throw notArrow(path, 'an empty file (0 bytes)');
    const head = await readAt(handle, 0, Math.min(8, size));
    if (head.subarray(0, 6).equals(MAGIC)) {
      // The file format ends with the footer and the magic again; without it the file was cut.
      const tail = size >= 12 ? await readAt(handle, size - 6, 6) : Buffer.alloc(0);
      if (!tail.equals(MAGIC)) throw truncated(path, `no closing ARROW1 magic in ${size} bytes`);
      return 'file';
    }
    if (size >= 8 && isStreamStart(head)) return 'stream';
    throw notArrow(path, `bytes ${describeBytes(head)}`);
  } finally {
    await handle.close();
  }
}

/**
 * Yields the record batches of an Arrow IPC file or stream one at a time.
 * Compressed bodies (LZ4_FRAME, ZSTD) are decoded; Utf8View, dictionaries and all other types
 * apache-arrow 21 knows come through unchanged.
 * The IPC framing is checked first (arrow-framing.ts), because apache-arrow's reader loops
 * forever on some damaged message lengths and reads others as an early end.
 * @param path - an `.arrow`/`.feather` (file format) or `.arrows` (stream format) file.
 * @throws DataFormatError naming the file when it is missing, empty, not Arrow, truncated or corrupt.
 */
export async function* openRecordBatches(path: string): AsyncGenerator<RecordBatch> {
  const format = await detectArrowFormat(path);
  await validateArrowFraming(path, format);
  if (format === 'file') yield* readFileFormat(path);
  else yield* readStreamFormat(path);
}

async function* readFileFormat(path: string): AsyncGenerator<RecordBatch> {
  const handle = await openOrThrow(path);
  try {
    const reader = await wrap(path, () => RecordBatchReader.from(handle));
    await wrap(path, () => reader.open());
    yield* batchesOf(path, reader);
  } finally {
    await handle.close();
  }
}

/** Yields a reader's batches, turning Arrow's own errors into DataFormatErrors that name the file. */
async function* batchesOf(path: string, reader: AsyncIterable<RecordBatch>): AsyncGenerator<RecordBatch> {
  const iterator = reader[Symbol.asyncIterator]();
  while (true) {
    const step = await wrap(path, () => iterator.next());
    if (step.done) return;
    yield step.value;
  }
}

async function* readStreamFormat(path: string): AsyncGenerator<RecordBatch> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    const reader = await wrap(path, () => RecordBatchReader.from(stream));
    yield* batchesOf(path, reader);
  } finally {
    stream.destroy();
  }
}

async function openOrThrow(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const found = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : String(code);
    throw new DataFormatError(`${path}: expected a readable Arrow file, found ${found}`, { cause: error });
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

// A stream starts with the 0xFFFFFFFF continuation marker and a metadata length, or (pre-0.15
// writers) directly with a positive little-endian metadata length.
function isStreamStart(head: Buffer): boolean {
  const first = head.readUInt32LE(0);
  if (first === CONTINUATION) {
    const length = head.readInt32LE(4);
    return length > 0 && length < 1 << 30;
  }
  return first > 0 && first < 1 << 20;
}

function describeBytes(head: Buffer): string {
  const text = head.toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return `${head.toString('hex')} ("${text}")`;
}

/** Runs an Arrow call and turns any failure into a DataFormatError naming the file. */
async function wrap<T>(path: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof DataFormatError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw truncated(path, message);
  }
}
