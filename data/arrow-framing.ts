/**
 * Checks the framing of an Arrow IPC file or stream against the file size before apache-arrow
 * reads it. apache-arrow trusts every length it reads: a message length of -1 makes its reader
 * spin forever, a length of 0 ends the stream early ("0 rows"), and a damaged footer decodes to
 * a wrong schema. Here every length and offset is checked to fit in what remains, so any of
 * these becomes a {@link DataFormatError}: `<path>: corrupt Arrow file at byte N: expected …, found …`.
 *
 * - **file format**: `ARROW1` magic at both ends, footer length and position, the footer's
 *   flatbuffer (schema, dictionary and record batch blocks), each block inside the data part,
 *   and the message at each block (prefix, metadata, body length, buffers inside the body);
 * - **stream format**: every message from the first byte (continuation `0xFFFFFFFF` + int32
 *   length, or a legacy int32 length), starting with a Schema, ending with an end-of-stream
 *   marker at the end of the file or with the file itself.
 *
 * Only framing and metadata are read (a few bytes per message), never the bodies.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { DataFormatError } from '../errors.js';
import { FlatView } from './flatbuffer-view.js';

/** Which of the two Arrow IPC layouts a file uses. */
export type ArrowIpcFormat = 'file' | 'stream';

const MAGIC = Buffer.from('ARROW1');
const CONTINUATION = 0xffffffff;
/** `ARROW1` plus 2 bytes of padding at the start of the file format. */
const HEAD = 8;
/** The footer's int32 length and the closing `ARROW1`. */
const TAIL = 10;
/** Size of a `Block` struct in the footer: offset int64, metaDataLength int32 (+4 padding), bodyLength int64. */
const BLOCK_SIZE = 24;
/** Size of the `Buffer` and `FieldNode` structs of a RecordBatch. */
const STRUCT16 = 16;

/** `MessageHeader` union tags (Message.fbs). */
const HEADER = { schema: 1, dictionaryBatch: 2, recordBatch: 3 } as const;
const HEADER_NAMES: Readonly<Record<number, string>> = { 0: 'NONE', 1: 'Schema', 2: 'DictionaryBatch', 3: 'RecordBatch', 4: 'Tensor', 5: 'SparseTensor' };

/** What one message's prefix and metadata say. */
interface MessageFrame {
  readonly headerType: number;
  /** End of the metadata (start of the body), absolute. */
  readonly bodyStart: number;
  readonly bodyLength: number;
}

/**
 * Checks the IPC framing of `path` (see the module comment).
 * @throws DataFormatError `<path>: corrupt Arrow file at byte N: expected …, found …`.
 */
export async function validateArrowFraming(path: string, format: ArrowIpcFormat): Promise<void> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const checker = new FramingChecker(path, handle, size);
    if (format === 'file') await checker.file();
    else await checker.stream();
  } finally {
    await handle.close();
  }
}

class FramingChecker {
  constructor(private readonly path: string, private readonly handle: FileHandle, private readonly size: number) {}

  private corrupt(at: number, expected: string, found: string): never {
    throw new DataFormatError(`${this.path}: corrupt Arrow file at byte ${at}: expected ${expected}, found ${found}`);
  }

  async file(): Promise<void> {
    const { size } = this;
    if (size < HEAD + TAIL) this.corrupt(0, `at least ${HEAD + TAIL} bytes (magic, footer length, magic)`, `${size} bytes`);
    const head = await this.read(0, 6);
    if (!head.equals(MAGIC)) this.corrupt(0, 'the ARROW1 magic', head.toString('hex'));
    const tail = await this.read(size - TAIL, TAIL);
    if (!tail.subarray(4).equals(MAGIC)) this.corrupt(size - 6, 'the closing ARROW1 magic', tail.subarray(4).toString('hex'));
    const footerLength = tail.readInt32LE(0);
    const room = size - HEAD - TAIL;
    if (footerLength <= 0 || footerLength > room) this.corrupt(size - TAIL, `a footer length between 1 and ${room}`, String(footerLength));
    const footerStart = size - TAIL - footerLength;
    const footer = new FlatView(await this.read(footerStart, footerLength), footerStart, (at, e, f) => this.corrupt(at, `${e} in the footer`, f));
    const root = footer.root('the footer table');
    const schema = footer.table(root, 1, 'the footer schema');
    if (schema === undefined) this.corrupt(footerStart, 'a footer with a schema', 'none');
    checkSchema(footer, schema);
    for (const [index, headerType, what] of [[2, HEADER.dictionaryBatch, 'dictionary'], [3, HEADER.recordBatch, 'record batch']] as const) {
      const blocks = footer.vector(root, index, BLOCK_SIZE, `the ${what} blocks`);
      for (let i = 0; i < (blocks?.length ?? 0); i++) {
        const at = blocks!.start + i * BLOCK_SIZE;
        await this.block(footerStart + at, footer.int64At(at, 'a block offset'), footer.int32(at + 8, 'a block metadata length'), footer.int64At(at + 16, 'a block body length'), footerStart, headerType, `${what} block ${i}`);
      }
    }
  }

  /** One footer block: inside the data part, and the message there agrees with it. */
  private async block(at: number, offset: number, metaDataLength: number, bodyLength: number, dataEnd: number, headerType: number, what: string): Promise<void> {
    if (offset < HEAD || offset >= dataEnd) this.corrupt(at, `${what} to start between byte ${HEAD} and the footer at byte ${dataEnd}`, `offset ${offset}`);
    if (metaDataLength <= 0 || bodyLength < 0 || offset + metaDataLength + bodyLength > dataEnd) {
      this.corrupt(at, `${what} (metadata and body) to end before the footer at byte ${dataEnd}`, `offset ${offset}, metadata ${metaDataLength} bytes, body ${bodyLength} bytes`);
    }
    const message = await this.message(offset, dataEnd);
    if (message === 'eos') this.corrupt(offset, `the message of ${what}`, 'an end-of-stream marker (message length 0)');
    if (message.headerType !== headerType) this.corrupt(offset, `a ${HEADER_NAMES[headerType]} message for ${what}`, `a ${HEADER_NAMES[message.headerType] ?? message.headerType} message`);
    if (message.bodyStart - offset !== metaDataLength || message.bodyLength !== bodyLength) {
      this.corrupt(offset, `the message to match ${what} (metadata ${metaDataLength} bytes, body ${bodyLength} bytes)`, `metadata ${message.bodyStart - offset} bytes, body ${message.bodyLength} bytes`);
    }
  }

  async stream(): Promise<void> {
    let position = 0;
    for (let index = 0; ; index++) {
      if (position === this.size) {
        if (index === 0) this.corrupt(0, 'a Schema message', 'an empty file');
        return; // a stream may end with the file instead of an end-of-stream marker
      }
      const message = await this.message(position, this.size);
      if (message === 'eos') {
        if (index === 0) this.corrupt(position, 'a Schema message', 'an end-of-stream marker (message length 0)');
        const end = position + (await this.prefixLength(position));
        if (end !== this.size) this.corrupt(end, `the end of the file after the end-of-stream marker at byte ${position}`, `${this.size - end} more bytes`);
        return;
      }
      if (index === 0 && message.headerType !== HEADER.schema) this.corrupt(position, 'a Schema message first', `a ${HEADER_NAMES[message.headerType] ?? message.headerType} message`);
      position = message.bodyStart + message.bodyLength;
    }
  }

  private async prefixLength(at: number): Promise<number> {
    return (await this.read(at, 4)).readUInt32LE(0) === CONTINUATION ? 8 : 4;
  }

  /** Reads and checks the message at `at`, which must end by `end`; `'eos'` for a zero length. */
  private async message(at: number, end: number): Promise<MessageFrame | 'eos'> {
    if (end - at < 4) this.corrupt(at, 'a message length prefix (4 bytes)', `${end - at} bytes before ${end === this.size ? 'the end of the file' : 'the footer'}`);
    const first = await this.read(at, Math.min(8, end - at));
    let lengthAt = at;
    if (first.readUInt32LE(0) === CONTINUATION) {
      if (first.length < 8) this.corrupt(at + 4, 'a message length after the continuation marker', `${first.length - 4} bytes`);
      lengthAt = at + 4;
    }
    const length = first.readInt32LE(lengthAt - at);
    if (length === 0) return 'eos';
    const metadataStart = lengthAt + 4;
    const room = end - metadataStart;
    if (length < 0 || length > room) this.corrupt(lengthAt, `a message metadata length between 1 and ${room} (the bytes left)`, `${length} (0x${(length >>> 0).toString(16)})`);
    const meta = new FlatView(await this.read(metadataStart, length), metadataStart, (p, e, f) => this.corrupt(p, `${e} in the message metadata`, f));
    const root = meta.root('the Message table');
    const headerType = meta.uint8(root, 1, 0);
    if (headerType < HEADER.schema || headerType > HEADER.recordBatch) {
      this.corrupt(metadataStart, 'a Schema, DictionaryBatch or RecordBatch message', `header type ${HEADER_NAMES[headerType] ?? headerType}`);
    }
    const bodyStart = metadataStart + length;
    const bodyLength = meta.int64(root, 3, 0, 'the body length');
    if (bodyLength < 0 || bodyLength > end - bodyStart) this.corrupt(bodyStart, `a message body length between 0 and ${end - bodyStart} (the bytes left)`, String(bodyLength));
    const header = meta.table(root, 2, 'the message header');
    if (header === undefined) this.corrupt(metadataStart, `a ${HEADER_NAMES[headerType]} header`, 'none');
    if (headerType === HEADER.schema) checkSchema(meta, header);
    else checkRecordBatch(meta, headerType === HEADER.recordBatch ? header : meta.table(header, 1, 'the dictionary data'), bodyLength, (e, f) => this.corrupt(bodyStart, e, f));
    return { headerType, bodyStart, bodyLength };
  }

  private async read(at: number, length: number): Promise<Buffer> {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await this.handle.read(buffer, 0, length, at);
    if (bytesRead < length) this.corrupt(at + bytesRead, `${length} bytes`, `the end of the file`);
    return buffer;
  }
}

/** A Schema table: its fields (recursively, with children and metadata) lie inside the buffer. */
function checkSchema(view: FlatView, schema: number): void {
  const visit = (fields: number[]): void => {
    for (const field of fields) {
      view.vector(field, 0, 1, 'a field name');
      view.table(field, 3, 'a field type');
      view.table(field, 4, 'a dictionary encoding');
      view.tables(field, 6, 'field metadata');
      visit(view.tables(field, 5, 'field children'));
    }
  };
  visit(view.tables(schema, 1, 'the schema fields'));
  view.tables(schema, 2, 'schema metadata');
}

/** A RecordBatch table: non-negative length, and each buffer inside the message body. */
function checkRecordBatch(view: FlatView, batch: number | undefined, bodyLength: number, fail: (expected: string, found: string) => never): void {
  if (batch === undefined) fail('record batch data in a dictionary batch', 'none');
  const length = view.int64(batch, 0, 0, 'the row count');
  if (length < 0) fail('a non-negative row count', String(length));
  view.vector(batch, 1, STRUCT16, 'the field nodes');
  const buffers = view.vector(batch, 2, STRUCT16, 'the buffers');
  for (let i = 0; i < (buffers?.length ?? 0); i++) {
    const offset = view.int64At(buffers!.start + i * STRUCT16, 'a buffer offset');
    const size = view.int64At(buffers!.start + i * STRUCT16 + 8, 'a buffer length');
    if (offset < 0 || size < 0 || offset + size > bodyLength) fail(`buffer ${i} inside the ${bodyLength}-byte body`, `offset ${offset}, length ${size}`);
  }
}
