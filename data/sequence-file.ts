/**
 * The ingest stage's grouped copy of the data (`sequences.bin`): a {@link SequenceSet} as raw
 * little-endian typed arrays behind a JSON header, so an embed shard reads only its own clients'
 * events with a few positional reads instead of decoding and grouping the whole transactions file
 * (0.3–0.5 s for 4M events, paid by every worker before its first shard, with its garbage).
 * {@link writeSequenceFile} and {@link readSequenceRange} are each other's opposite.
 *
 * Layout: `MELESSEQ` (8 bytes), header length (uint32 LE), header JSON, zero padding to 8 bytes,
 * then the sections named in the header, each 8-byte aligned: `offsets` (Int32, clients + 1),
 * `ids` (Int32/BigInt64/Float64 per client, or UTF-8 JSON of the string ids), `times` (Float64),
 * one Int32 section per categorical column and one Float32 section per numeric column (per event).
 */
import { open, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeAtomically } from './atomic-write.js';
import type { SchemaMapping } from './schema-mapping.js';
import { clientCount, type ClientIds, type SequenceSet } from './sequence-set.js';
import type { Vocabularies } from './vocabulary.js';
import { DataFormatError } from '../errors.js';
import { hashJson } from './canonical-json.js';

const MAGIC = 'MELESSEQ';
const FORMAT_VERSION = 1;

const sectionSchema = z.object({ offset: z.number().int().min(0), bytes: z.number().int().min(0) });
const headerSchema = z.object({
  formatVersion: z.literal(FORMAT_VERSION),
  encoding: z.string(),
  clients: z.number().int().min(0),
  events: z.number().int().min(0),
  idKind: z.enum(['int32', 'int64', 'float64', 'utf8']),
  timeUnit: z.enum(['number', 'ms']),
  categorical: z.array(z.string()),
  numeric: z.array(z.string()),
  sections: z.record(z.string(), sectionSchema),
});
type Header = z.infer<typeof headerSchema>;

/**
 * Identifies what the events are and how they were encoded: the SHA-256 of the source data file,
 * the schema mapping and every vocabulary's tokens (which fix the category indices). A reader
 * expecting other data or other vocabularies must not use the file.
 */
export function encodingKey(sourceSha256: string, mapping: SchemaMapping, vocabularies: Vocabularies): string {
  const tokens = Object.fromEntries(Object.entries(vocabularies).map(([column, v]) => [column, v.tokens]));
  return hashJson({ source: sourceSha256, mapping, tokens });
}

/** Which clients {@link readSequenceRange} should read, and the encoding they must have. */
export interface SequenceRangeRequest {
  /** {@link encodingKey} of the reader's mapping and vocabularies. */
  readonly encoding: string;
  /** `[from, to)` client positions, given the file's number of clients. */
  readonly range: (clients: number) => readonly [number, number];
}

/** Writes `set` (encoded as `encoding` says) to `path`, atomically: it appears complete or not at all. */
export async function writeSequenceFile(path: string, set: SequenceSet, encoding: string): Promise<void> {
  const parts: [string, Uint8Array][] = [
    ['offsets', bytesOf(set.offsets)],
    ['ids', set.ids.kind === 'utf8' ? new TextEncoder().encode(JSON.stringify(set.ids.values)) : bytesOf(set.ids.values)],
    ['times', bytesOf(set.times)],
    ...Object.entries(set.categorical).map(([name, values]): [string, Uint8Array] => [`categorical:${name}`, bytesOf(values)]),
    ...Object.entries(set.numeric).map(([name, values]): [string, Uint8Array] => [`numeric:${name}`, bytesOf(values)]),
  ];
  const sections: Record<string, { offset: number; bytes: number }> = {};
  let at = 0;
  for (const [name, bytes] of parts) {
    sections[name] = { offset: at, bytes: bytes.byteLength };
    at = align8(at + bytes.byteLength);
  }
  const header: Header = {
    formatVersion: FORMAT_VERSION,
    encoding,
    clients: clientCount(set),
    events: set.times.length,
    idKind: set.ids.kind,
    timeUnit: set.timeUnit,
    categorical: Object.keys(set.categorical),
    numeric: Object.keys(set.numeric),
    sections,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const body = align8(12 + json.byteLength);
  const out = new Uint8Array(body + at);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.byteLength, true);
  out.set(json, 12);
  for (const [name, bytes] of parts) out.set(bytes, body + sections[name]!.offset);
  await writeAtomically(path, (tmp) => writeFile(tmp, out));
}

/**
 * Reads the clients `request.range` picks from a file written by {@link writeSequenceFile}: a set
 * holding just those clients, in order, offsets starting at 0; `null` when the file was encoded
 * with another mapping or other vocabularies.
 * @throws DataFormatError when the file is not such a file or is cut short.
 */
export async function readSequenceRange(path: string, request: SequenceRangeRequest): Promise<SequenceSet | null> {
  const file = await open(path, 'r');
  try {
    const read = async (position: number, length: number): Promise<Uint8Array> => {
      // A fresh ArrayBuffer of exactly `length` bytes per section, so typed arrays can view all of it.
      const buffer = new Uint8Array(new ArrayBuffer(length));
      const { bytesRead } = await file.read(buffer, 0, length, position);
      if (bytesRead !== length) throw new DataFormatError(`${path}: expected ${length} bytes at ${position}, found ${bytesRead} (file cut short)`);
      return buffer;
    };
    const head = await read(0, 12);
    if (new TextDecoder().decode(head.subarray(0, 8)) !== MAGIC) throw new DataFormatError(`${path}: expected a meles sequence file (${MAGIC}), found other bytes`);
    const length = new DataView(head.buffer).getUint32(8, true);
    const parsed = headerSchema.safeParse(JSON.parse(new TextDecoder().decode(await read(12, length))));
    if (!parsed.success) throw new DataFormatError(`${path}: sequence file header: ${z.prettifyError(parsed.error)}`);
    const header = parsed.data;
    if (header.encoding !== request.encoding) return null;
    const [from, to] = request.range(header.clients);
    if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from <= to && to <= header.clients)) {
      throw new RangeError(`Expected 0 <= from <= to <= ${header.clients}, got from ${from}, to ${to}`);
    }
    const body = align8(12 + length);
    const section = async (name: string, start: number, count: number, width: number): Promise<ArrayBuffer> => {
      const where = header.sections[name];
      if (!where) throw new DataFormatError(`${path}: sequence file has no section \`${name}\``);
      return (await read(body + where.offset + start * width, count * width)).buffer as ArrayBuffer;
    };
    const offsets = new Int32Array(await section('offsets', from, to - from + 1, 4));
    const first = offsets[0]!;
    const events = offsets[to - from]! - first;
    for (let i = 0; i < offsets.length; i++) offsets[i]! -= first;
    const categorical: Record<string, Int32Array> = {};
    for (const name of header.categorical) categorical[name] = new Int32Array(await section(`categorical:${name}`, first, events, 4));
    const numeric: Record<string, Float32Array> = {};
    for (const name of header.numeric) numeric[name] = new Float32Array(await section(`numeric:${name}`, first, events, 4));
    return {
      ids: await readIds(header, from, to, (start, count, width) => section('ids', start, count, width)),
      offsets,
      times: new Float64Array(await section('times', first, events, 8)),
      categorical,
      numeric,
      timeUnit: header.timeUnit,
    };
  } finally {
    await file.close();
  }
}

async function readIds(header: Header, from: number, to: number, section: (start: number, count: number, width: number) => Promise<ArrayBuffer>): Promise<ClientIds> {
  switch (header.idKind) {
    case 'int32':
      return { kind: 'int32', values: new Int32Array(await section(from, to - from, 4)) };
    case 'int64':
      return { kind: 'int64', values: new BigInt64Array(await section(from, to - from, 8)) };
    case 'float64':
      return { kind: 'float64', values: new Float64Array(await section(from, to - from, 8)) };
    case 'utf8': {
      // String ids have no fixed width: the whole JSON list is read (ids are small next to events).
      const all = new Uint8Array(await section(0, header.sections.ids!.bytes, 1));
      const values = z.array(z.string()).parse(JSON.parse(new TextDecoder().decode(all)));
      return { kind: 'utf8', values: values.slice(from, to) };
    }
  }
}

function bytesOf(values: Int32Array | Float32Array | Float64Array | BigInt64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
