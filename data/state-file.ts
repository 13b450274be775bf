/**
 * Encoder state files (`meles embed --state-out`): one row per client with the recurrent state
 * after its last embedded event, so a later run can continue each client over newer events only.
 *
 * ```
 * <id column>       the source's id name and type (as the embeddings)
 * h_l0, [c_l0], …   FixedSizeList<float32>[hidden] per layer: h (and the LSTM cell state c)
 * last_event_time   float64, the client's newest event time (the data's time unit)
 * event_count       int32, events the state has read
 * ```
 * Schema metadata: {@link STATE_METADATA} (format version, model fingerprint, encoder layout, time
 * unit, id column). Plain Arrow, no tensors: `data/` never imports tfjs. Written atomically.
 */
import {
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Precision,
  Utf8,
  vectorFromArray,
  type Data,
  DataType,
} from 'apache-arrow';
import { writeArrowFile } from './arrow-sink.js';
import { openRecordBatches } from './arrow-source.js';
import { typeName } from './arrow-columns.js';
import { ID_COLUMN_METADATA_KEY } from './keyed-table.js';
import type { ClientIds } from './sequence-set.js';
import { ConfigError, DataFormatError } from '../errors.js';

/** Version of the state file layout; a reader refuses any other. */
export const STATE_FORMAT_VERSION = 1;

/** Schema metadata keys of a state file. */
export const STATE_METADATA = {
  formatVersion: 'meles.state.format_version',
  model: 'meles.state.model_fingerprint',
  encoder: 'meles.state.encoder',
  timeUnit: 'meles.state.time_unit',
} as const;

/** Column of the newest event time. */
export const LAST_TIME_COLUMN = 'last_event_time';
/** Column of the number of events read. */
export const EVENT_COUNT_COLUMN = 'event_count';

/** Shape of the recurrent state per client. */
export interface StateLayout {
  /** `'gru'` or `'lstm'` (recorded for messages; `components` says what is stored). */
  readonly kind: string;
  readonly layers: number;
  /** 1 (`h`) or 2 (`h`, `c`). */
  readonly components: number;
  readonly hidden: number;
}

/** What a state file says about itself. */
export interface StateFileHeader {
  readonly idColumn: string;
  readonly idKind: ClientIds['kind'];
  /** `modelFingerprint` of the model directory that made the states. */
  readonly modelFingerprint: string;
  readonly layout: StateLayout;
  /** The SequenceSet time unit of `last_event_time`. */
  readonly timeUnit: 'number' | 'ms';
}

/** States of consecutive clients. */
export interface StateChunk {
  readonly ids: ClientIds;
  /** `states[l][k]`: component `k` of layer `l`, row-major `[rows, hidden]`. */
  readonly states: readonly (readonly Float32Array[])[];
  readonly lastTime: Float64Array;
  readonly eventCount: Int32Array;
}

/** Name of the column of component `k` (0 = h, 1 = c) of layer `l`. */
export function stateColumnName(layer: number, component: number): string {
  return `${component === 0 ? 'h' : 'c'}_l${layer}`;
}

function valueColumns(layout: StateLayout): string[] {
  const names: string[] = [];
  for (let l = 0; l < layout.layers; l++) for (let k = 0; k < layout.components; k++) names.push(stateColumnName(l, k));
  return [...names, LAST_TIME_COLUMN, EVENT_COUNT_COLUMN];
}

const ID_TYPES: Record<ClientIds['kind'], () => DataType> = {
  int32: () => new Int32(),
  int64: () => new Int64(),
  float64: () => new Float64(),
  utf8: () => new Utf8(),
};

function schemaOf(header: StateFileHeader): Schema {
  const { layout } = header;
  const item = (): Field => new Field('item', new Float32(), false);
  const fields = [new Field(header.idColumn, ID_TYPES[header.idKind](), false)];
  for (let l = 0; l < layout.layers; l++) {
    for (let k = 0; k < layout.components; k++) fields.push(new Field(stateColumnName(l, k), new FixedSizeList(layout.hidden, item()), false));
  }
  fields.push(new Field(LAST_TIME_COLUMN, new Float64(), false), new Field(EVENT_COUNT_COLUMN, new Int32(), false));
  const metadata = new Map([
    [ID_COLUMN_METADATA_KEY, header.idColumn],
    [STATE_METADATA.formatVersion, String(STATE_FORMAT_VERSION)],
    [STATE_METADATA.model, header.modelFingerprint],
    [STATE_METADATA.encoder, JSON.stringify(layout)],
    [STATE_METADATA.timeUnit, header.timeUnit],
  ]);
  return new Schema(fields, metadata);
}

function idData(ids: ClientIds): Data {
  switch (ids.kind) {
    case 'int32':
      return makeData({ type: new Int32(), data: ids.values, length: ids.values.length });
    case 'int64':
      return makeData({ type: new Int64(), data: ids.values, length: ids.values.length });
    case 'float64':
      return makeData({ type: new Float64(), data: ids.values, length: ids.values.length });
    case 'utf8':
      return vectorFromArray([...ids.values], new Utf8()).data[0]!;
  }
}

function batchOf(schema: Schema, header: StateFileHeader, chunk: StateChunk): RecordBatch {
  const n = chunk.ids.values.length;
  const { hidden } = header.layout;
  const children: Data[] = [idData(chunk.ids)];
  let f = 1;
  for (const layer of chunk.states) {
    for (const values of layer) {
      if (values.length !== n * hidden) throw new ConfigError(`State column ${schema.fields[f]!.name}: expected ${n} × ${hidden} values, got ${values.length}`);
      const child = makeData({ type: new Float32(), data: values, length: n * hidden });
      children.push(makeData({ type: schema.fields[f]!.type as FixedSizeList<Float32>, length: n, nullCount: 0, child }));
      f++;
    }
  }
  children.push(makeData({ type: new Float64(), data: chunk.lastTime, length: n }), makeData({ type: new Int32(), data: chunk.eventCount, length: n }));
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children }));
}

/**
 * Writes a state file atomically; returns the number of rows. A file without rows still gets one
 * empty record batch, so its metadata can be read back.
 * @throws ConfigError when the id column is named like a state column
 */
export async function writeStateFile(path: string, header: StateFileHeader, chunks: AsyncIterable<StateChunk> | Iterable<StateChunk>): Promise<number> {
  if (valueColumns(header.layout).includes(header.idColumn)) {
    throw new ConfigError(`The id column \`${header.idColumn}\` has the name of a state column; rename the id column`);
  }
  const schema = schemaOf(header);
  let rows = 0;
  async function* batches(): AsyncGenerator<RecordBatch> {
    let any = false;
    for await (const chunk of chunks) {
      rows += chunk.ids.values.length;
      any = true;
      yield batchOf(schema, header, chunk);
    }
    if (!any) {
      const empty = Array.from({ length: header.layout.layers }, () => Array.from({ length: header.layout.components }, () => new Float32Array(0)));
      yield batchOf(schema, header, { ids: emptyIds(header.idKind), states: empty, lastTime: new Float64Array(0), eventCount: new Int32Array(0) });
    }
  }
  await writeArrowFile(path, batches());
  return rows;
}

function emptyIds(kind: ClientIds['kind']): ClientIds {
  switch (kind) {
    case 'int32':
      return { kind, values: new Int32Array(0) };
    case 'int64':
      return { kind, values: new BigInt64Array(0) };
    case 'float64':
      return { kind, values: new Float64Array(0) };
    case 'utf8':
      return { kind, values: [] };
  }
}

/** An opened state file: its header, then its rows batch by batch (read lazily, validated). */
export interface OpenedStateFile {
  readonly header: StateFileHeader;
  readonly chunks: AsyncGenerator<StateChunk>;
}

/**
 * Opens a state file written by {@link writeStateFile}: reads and checks the metadata and the
 * columns of the first record batch; the rows follow through `chunks`.
 * @throws DataFormatError naming the file for anything that is not a state file of this version
 */
export async function openStateFile(path: string): Promise<OpenedStateFile> {
  const batches = openRecordBatches(path);
  const first = await batches.next();
  if (first.done === true) throw new DataFormatError(`${path}: expected a meles state file, found an Arrow file without record batches`);
  const header = parseHeader(path, first.value.schema);
  async function* chunks(): AsyncGenerator<StateChunk> {
    yield chunkOf(path, header, first.value as RecordBatch);
    for await (const batch of batches) yield chunkOf(path, header, batch);
  }
  return { header, chunks: chunks() };
}

/** Reads only a state file's header. @throws DataFormatError as {@link openStateFile} */
export async function readStateHeader(path: string): Promise<StateFileHeader> {
  const opened = await openStateFile(path);
  await opened.chunks.return(undefined);
  return opened.header;
}

function parseHeader(path: string, schema: Schema): StateFileHeader {
  const meta = schema.metadata;
  const bad = (what: string, found: string): DataFormatError => new DataFormatError(`${path}: expected ${what}, found ${found}`);
  const version = meta.get(STATE_METADATA.formatVersion);
  if (version === undefined) throw bad(`a meles state file (metadata \`${STATE_METADATA.formatVersion}\`)`, 'none: is this an embedding file? Write states with `meles embed --state-out`');
  if (version !== String(STATE_FORMAT_VERSION)) throw bad(`state format version ${STATE_FORMAT_VERSION}`, `version ${version}`);
  const fingerprint = meta.get(STATE_METADATA.model);
  if (fingerprint === undefined || !/^[0-9a-f]{64}$/.test(fingerprint)) throw bad(`\`${STATE_METADATA.model}\` to be a sha256`, JSON.stringify(fingerprint) ?? 'nothing');
  let layout: StateLayout;
  try {
    layout = JSON.parse(meta.get(STATE_METADATA.encoder) ?? '') as StateLayout;
  } catch {
    throw bad(`\`${STATE_METADATA.encoder}\` to be JSON`, JSON.stringify(meta.get(STATE_METADATA.encoder)) ?? 'nothing');
  }
  const positive = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1;
  if (!positive(layout.layers) || !positive(layout.hidden) || (layout.components !== 1 && layout.components !== 2)) {
    throw bad(`\`${STATE_METADATA.encoder}\` with layers, components (1 or 2) and hidden`, JSON.stringify(layout));
  }
  const timeUnit = meta.get(STATE_METADATA.timeUnit);
  if (timeUnit !== 'number' && timeUnit !== 'ms') throw bad(`\`${STATE_METADATA.timeUnit}\` 'number' or 'ms'`, JSON.stringify(timeUnit) ?? 'nothing');
  const idColumn = meta.get(ID_COLUMN_METADATA_KEY) ?? schema.fields[0]?.name ?? '';
  const idField = schema.fields[0];
  if (idField === undefined || idField.name !== idColumn) throw bad(`the id column \`${idColumn}\` first`, idField ? `\`${idField.name}\`` : 'no columns');
  const idKind = idKindOf(idField.type as DataType);
  if (idKind === undefined) throw bad(`id column \`${idColumn}\` of type Int32, Int64, Float64 or Utf8`, typeName(idField.type as DataType));
  const expected = valueColumns(layout);
  const found = schema.fields.slice(1).map((f) => f.name);
  if (expected.join(',') !== found.join(',')) throw bad(`columns ${expected.join(', ')} after the id`, found.join(', '));
  schema.fields.slice(1, 1 + layout.layers * layout.components).forEach((f) => {
    const type = f.type as DataType;
    // Types read back from IPC are generic (Int_, Float), not the writer's subclasses: compare by kind.
    const item = DataType.isFixedSizeList(type) ? (type.children[0]!.type as DataType) : undefined;
    if (!DataType.isFixedSizeList(type) || type.listSize !== layout.hidden || item === undefined || !DataType.isFloat(item) || item.precision !== Precision.SINGLE) {
      throw bad(`column \`${f.name}\` to be FixedSizeList<Float32>[${layout.hidden}]`, typeName(type));
    }
  });
  return { idColumn, idKind, modelFingerprint: fingerprint, layout, timeUnit };
}

function idKindOf(type: DataType): ClientIds['kind'] | undefined {
  if (DataType.isInt(type) && type.isSigned && type.bitWidth === 32) return 'int32';
  if (DataType.isInt(type) && type.isSigned && type.bitWidth === 64) return 'int64';
  if (DataType.isFloat(type) && type.precision === Precision.DOUBLE) return 'float64';
  if (DataType.isUtf8(type)) return 'utf8';
  return undefined;
}

function chunkOf(path: string, header: StateFileHeader, batch: RecordBatch): StateChunk {
  const n = batch.numRows;
  const { layers, components, hidden } = header.layout;
  const column = (j: number): Data => {
    const vector = batch.getChildAt(j)!;
    if (vector.nullCount > 0) throw new DataFormatError(`${path}: column \`${batch.schema.fields[j]!.name}\`: expected no nulls, found ${vector.nullCount}`);
    // One Data per column in a record batch read from IPC.
    return vector.data[0]!;
  };
  const idVector = batch.getChildAt(0)!;
  if (idVector.nullCount > 0) throw new DataFormatError(`${path}: id column \`${header.idColumn}\`: expected no nulls, found ${idVector.nullCount}`);
  const ids = readIds(header.idKind, idVector.toArray() as Int32Array | BigInt64Array | Float64Array | string[]);
  const states: Float32Array[][] = [];
  let j = 1;
  for (let l = 0; l < layers; l++) {
    const layer: Float32Array[] = [];
    for (let k = 0; k < components; k++, j++) {
      const data = column(j);
      const child = data.children[0]!;
      const start = child.offset + data.offset * hidden;
      layer.push((child.values as Float32Array).slice(start, start + n * hidden));
    }
    states.push(layer);
  }
  const lastTime = (column(j).values as Float64Array).slice(column(j).offset, column(j).offset + n);
  const counts = column(j + 1);
  const eventCount = (counts.values as Int32Array).slice(counts.offset, counts.offset + n);
  return { ids, states, lastTime, eventCount };
}

function readIds(kind: ClientIds['kind'], values: Int32Array | BigInt64Array | Float64Array | string[]): ClientIds {
  switch (kind) {
    case 'int32':
      return { kind, values: Int32Array.from(values as Int32Array) };
    case 'int64':
      return { kind, values: BigInt64Array.from(values as BigInt64Array) };
    case 'float64':
      return { kind, values: Float64Array.from(values as Float64Array) };
    case 'utf8':
      return { kind, values: Array.from(values as string[], String) };
  }
}
