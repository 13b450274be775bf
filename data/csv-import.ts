/**
 * `importCsv`: streams a CSV file into an Arrow IPC file under a schema mapping, batch by batch
 * (csv-parse), so files larger than memory convert in bounded memory. Only mapped columns are
 * written. Column types are fixed by the role and the first non-empty value:
 * - id: Int64 when the first id is an integer, else Utf8;
 * - time: Float64 when the first time is a number; Float64 days when it looks like the gender
 *   dataset's `"d hh:mm:ss"` (day + seconds/86400); else Timestamp(ms) from a date string;
 * - categorical: Utf8 (tokens exactly as written); numeric and targets: Float64 (empty → null).
 * A later value that does not fit is a DataFormatError naming file, line, column and value.
 * Output is written to a temp file and renamed, so a failed import leaves nothing behind.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { Float64, Int64, TimestampMillisecond, Utf8, makeVector, vectorFromArray, RecordBatch, Table, type Vector } from 'apache-arrow';
import { DataFormatError } from '../errors.js';
import { expectInteger } from '../options.js';
import { writeArrowFile } from './arrow-sink.js';
import type { ArrowIpcFormat } from './arrow-source.js';
import type { SchemaMapping } from './schema-mapping.js';
import { EXPECTED_UTF8, Utf8Watch } from './utf8-watch.js';

/** Options of {@link importCsv}. */
export interface ImportCsvOptions {
  /** Field delimiter. @defaultValue `','` */
  readonly delimiter?: string;
  /** Rows per record batch. Minimum: `1`. @defaultValue `65536` */
  readonly batchRows?: number;
  /** Output layout. @defaultValue `'file'` */
  readonly format?: ArrowIpcFormat;
}

type Kind = 'int64' | 'utf8' | 'float64' | 'day-time' | 'timestamp';

interface ColumnPlan {
  readonly name: string;
  readonly source: number;
  kind: Kind | null;
  readonly role: 'id' | 'time' | 'categorical' | 'numeric' | 'target';
}

/** Converts `csvPath` to an Arrow file at `arrowPath`; returns the number of rows written. */
export async function importCsv(csvPath: string, arrowPath: string, mapping: SchemaMapping, options: ImportCsvOptions = {}): Promise<number> {
  const batchRows = expectInteger('batchRows', options.batchRows ?? 65536, 1);
  try {
    await stat(csvPath);
  } catch (error) {
    throw new DataFormatError(`${csvPath}: expected a readable CSV file, found ${(error as NodeJS.ErrnoException).code ?? 'an error'}`, { cause: error });
  }
  let rows = 0;
  // csv-parse decodes invalid UTF-8 to U+FFFD without a word; the watch notes that the bytes were
  // not UTF-8, and the first text field holding U+FFFD after that is refused.
  const utf8 = new Utf8Watch();
  async function* batches(): AsyncGenerator<RecordBatch> {
    const check = utf8.transform();
    const parser = createReadStream(csvPath).pipe(check).pipe(parse({ delimiter: options.delimiter ?? ',', relax_column_count: false, bom: true }));
    let plan: ColumnPlan[] | null = null;
    let buffer: string[][] = [];
    let line = 1;
    try {
      for await (const record of parser as AsyncIterable<string[]>) {
        if (plan === null) {
          plan = planColumns(csvPath, record, mapping);
          continue;
        }
        line++;
        buffer.push(record);
        if (buffer.length >= batchRows) {
          yield toBatch(csvPath, plan, buffer, line - buffer.length + 1, utf8.invalid);
          rows += buffer.length;
          buffer = [];
        }
      }
    } catch (error) {
      if (error instanceof DataFormatError) throw error;
      throw new DataFormatError(`${csvPath}: expected well-formed CSV, ${(error as Error).message}`, { cause: error });
    }
    if (plan === null) throw new DataFormatError(`${csvPath}: expected a header line and rows, found an empty file`);
    if (buffer.length > 0 || rows === 0) {
      if (buffer.length === 0) throw new DataFormatError(`${csvPath}: expected at least one row, found only the header`);
      yield toBatch(csvPath, plan, buffer, line - buffer.length + 1, utf8.invalid);
      rows += buffer.length;
    }
  }
  await writeArrowFile(arrowPath, batches(), options.format ?? 'file');
  return rows;
}

function planColumns(path: string, header: readonly string[], mapping: SchemaMapping): ColumnPlan[] {
  const wanted: [string, ColumnPlan['role']][] = [
    [mapping.id, 'id'],
    [mapping.time, 'time'],
    ...mapping.categorical.map((c): [string, ColumnPlan['role']] => [c, 'categorical']),
    ...mapping.numeric.map((c): [string, ColumnPlan['role']] => [c, 'numeric']),
    ...(mapping.targets ?? []).map((c): [string, ColumnPlan['role']] => [c, 'target']),
  ];
  return wanted.map(([name, role]) => {
    const source = header.indexOf(name);
    if (source < 0) throw new DataFormatError(`${path}: column \`${name}\` (mapped as ${role}) not found; expected it in the header, found: ${header.join(', ')}`);
    const kind: Kind | null = role === 'categorical' ? 'utf8' : role === 'numeric' || role === 'target' ? 'float64' : null;
    return { name, source, kind, role };
  });
}

const INTEGER = /^-?\d+$/;
// The gender dataset writes times as "day hh:mm:ss" counted from an anonymised day 0.
const DAY_TIME = /^(\d+) (\d{1,2}):(\d{2}):(\d{2})$/;

function toBatch(path: string, plan: ColumnPlan[], records: readonly string[][], firstLine: number, invalidUtf8: boolean): RecordBatch {
  const vectors: Record<string, Vector> = {};
  for (const column of plan) {
    const raw = records.map((r) => r[column.source]!);
    column.kind ??= decideKind(column, raw);
    vectors[column.name] = build(path, column, raw, firstLine, invalidUtf8);
  }
  return new Table(vectors).batches[0]!;
}

function decideKind(column: ColumnPlan, raw: readonly string[]): Kind {
  const first = raw.find((v) => v.trim() !== '') ?? '';
  if (column.role === 'id') return INTEGER.test(first.trim()) ? 'int64' : 'utf8';
  if (first.trim() !== '' && Number.isFinite(Number(first))) return 'float64';
  return DAY_TIME.test(first.trim()) ? 'day-time' : 'timestamp';
}

function build(path: string, column: ColumnPlan, raw: readonly string[], firstLine: number, invalidUtf8: boolean): Vector {
  const bad = (i: number, expected: string): DataFormatError =>
    new DataFormatError(`${path}: line ${firstLine + i}, column \`${column.name}\` (${column.role}): expected ${expected}, found \`${raw[i]}\``);
  const required = column.role === 'id' || column.role === 'time';
  switch (column.kind!) {
    case 'utf8':
      raw.forEach((v, i) => {
        if (required && v === '') throw bad(i, 'a value');
        if (invalidUtf8 && v.includes('\uFFFD')) throw bad(i, EXPECTED_UTF8);
      });
      return vectorFromArray(raw.map((v) => (v === '' ? null : v)), new Utf8());
    case 'int64': {
      const out = new BigInt64Array(raw.length);
      raw.forEach((v, i) => {
        if (!INTEGER.test(v.trim())) throw bad(i, 'an integer id like the first one');
        out[i] = BigInt(v.trim());
      });
      return makeVector({ type: new Int64(), data: out });
    }
    case 'float64': {
      const values: (number | null)[] = raw.map((v, i) => {
        if (v.trim() === '') {
          if (required) throw bad(i, 'a number');
          return null;
        }
        const x = Number(v);
        if (Number.isNaN(x) && !/^\s*nan\s*$/i.test(v)) throw bad(i, 'a number');
        // `inf` was refused while `Infinity` and `1e400` (beyond Float64) became ±Infinity: all are refused now.
        if (!Number.isNaN(x) && !Number.isFinite(x)) throw bad(i, 'a finite number (at most ±1.8e308)');
        return x;
      });
      return vectorFromArray(values, new Float64());
    }
    case 'day-time': {
      const values = raw.map((v, i) => {
        const m = DAY_TIME.exec(v.trim());
        if (m === null) throw bad(i, 'a time like "12 10:23:26" (day hh:mm:ss), like the first one');
        return Number(m[1]) + (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4])) / 86400;
      });
      return makeVector(Float64Array.from(values));
    }
    case 'timestamp': {
      const values = raw.map((v, i) => {
        const ms = Date.parse(v);
        if (Number.isNaN(ms)) throw bad(i, 'a number or a date/time string');
        return ms;
      });
      return vectorFromArray(values, new TimestampMillisecond());
    }
  }
}
