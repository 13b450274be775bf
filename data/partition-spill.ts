/**
 * One partition's spill file: an Arrow IPC stream the partitioner appends record batches to as its
 * buffer fills. Each batch is serialised synchronously and written with an awaited positional
 * write, so nothing queues up in memory behind a slow disk (Arrow's streaming writer would buffer
 * without bound). Pass 2 reads the file back with the ordinary Arrow reader.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { RecordBatchStreamWriter, type RecordBatch, type Schema } from 'apache-arrow';

/** The 8-byte end-of-stream marker (continuation token, zero length). */
const END_OF_STREAM = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);

/** Appends record batches of one schema to an Arrow IPC stream file. */
export class SpillFile {
  private handle: FileHandle | null = null;
  private position = 0;
  private readonly schemaBytes: number;
  /** Rows written. */
  rows = 0;

  constructor(
    readonly path: string,
    private readonly schema: Schema,
  ) {
    const writer = new RecordBatchStreamWriter();
    writer.reset(undefined, schema);
    // A stream with no batches is schema message + end-of-stream: the schema's length in bytes.
    this.schemaBytes = writer.finish().toUint8Array(true).byteLength - END_OF_STREAM.byteLength;
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.position;
  }

  /** Appends one batch (of the spill's schema). */
  async append(batch: RecordBatch): Promise<void> {
    // writeAll gives schema + batch + end-of-stream; the first append keeps the schema, later ones only the batch.
    const whole = RecordBatchStreamWriter.writeAll([batch]).toUint8Array(true);
    const start = this.handle === null ? 0 : this.schemaBytes;
    this.handle ??= await open(this.path, 'w');
    await this.write(whole.subarray(start, whole.byteLength - END_OF_STREAM.byteLength));
    this.rows += batch.numRows;
  }

  /** Ends the stream (an empty partition gets a schema-only stream) and closes the file. */
  async close(): Promise<void> {
    if (this.handle === null) {
      this.handle = await open(this.path, 'w');
      const writer = new RecordBatchStreamWriter();
      writer.reset(undefined, this.schema);
      await this.write(writer.finish().toUint8Array(true));
    } else {
      await this.write(END_OF_STREAM);
    }
    await this.handle.close();
  }

  /** Closes without finishing (after a failure; the caller removes the file). */
  async abandon(): Promise<void> {
    await this.handle?.close().catch(() => {});
  }

  private async write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await this.handle!.write(bytes, done, bytes.byteLength - done, this.position);
      done += bytesWritten;
      this.position += bytesWritten;
    }
  }
}
