import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DateDay,
  Dictionary,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  LargeUtf8,
  Table,
  TimestampMicrosecond,
  TimestampNanosecond,
  TimestampSecond,
  Uint32,
  Utf8,
  makeData,
  makeVector,
  vectorFromArray,
  type DataType,
  type Vector,
} from 'apache-arrow';
import { ConfigError, DataFormatError } from '../errors.js';
import { Rng } from './random.js';
import { tableFromColumns, writeArrowFile, writeArrowTable } from './arrow-sink.js';
import { readSequences } from './read-sequences.js';
import { Vocabulary } from './vocabulary.js';
import type { SchemaMapping } from './schema-mapping.js';

let dir: string;
let n = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meles-read-sequences-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(columns: Record<string, Vector>, batchRows = Infinity): Promise<string> {
  const path = join(dir, `t${n++}.arrow`);
  const table = new Table(columns);
  if (batchRows === Infinity) await writeArrowTable(path, table);
  else {
    const batches = [];
    for (let start = 0; start < table.numRows; start += batchRows) batches.push(...table.slice(start, start + batchRows).batches);
    await writeArrowFile(path, batches);
  }
  return path;
}

const vec = <T extends DataType>(values: unknown[], type: T): Vector => vectorFromArray(values as never[], type);
const raw64 = <T extends DataType>(type: T, values: bigint[]): Vector => makeVector(makeData({ type, length: values.length, data: BigInt64Array.from(values) } as never));

/** The obvious implementation, for comparison: Map grouping, stable sort, count ranking. */
function naive(ids: number[], times: number[], cats: string[]) {
  const order = new Map<number, number[]>();
  ids.forEach((id, i) => (order.get(id) ?? order.set(id, []).get(id)!).push(i));
  const counts = new Map<string, number>();
  for (const c of cats) counts.set(c, (counts.get(c) ?? 0) + 1);
  const ranked = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)!);
  const index = new Map(ranked.map((t, i) => [t, i + 2]));
  const offsets = [0];
  const outTimes: number[] = [];
  const outCats: number[] = [];
  for (const rows of order.values()) {
    rows.sort((a, b) => times[a]! - times[b]!);
    for (const r of rows) {
      outTimes.push(times[r]!);
      outCats.push(index.get(cats[r]!)!);
    }
    offsets.push(outTimes.length);
  }
  return { ids: [...order.keys()], offsets, times: outTimes, cats: outCats, tokens: ['<pad>', '<unk>', ...ranked] };
}

describe('readSequences groups and sorts', () => {
  it('matches a naive implementation on random data spread over many batches', async () => {
    const rng = new Rng(3);
    const rows = 5000;
    const ids = Array.from({ length: rows }, () => 1000 + rng.int(0, 300) * 7);
    const times = Array.from({ length: rows }, () => rng.int(0, 50)); // many ties: stability matters
    const cats = Array.from({ length: rows }, () => `m${Math.floor(Math.abs(rng.normal()) * 20)}`);
    const path = await write({ id: makeVector(Int32Array.from(ids)), t: makeVector(Float64Array.from(times)), c: vec(cats, new Utf8()) }, 333);
    const result = await readSequences(path, { id: 'id', time: 't', categorical: ['c'], numeric: [] });
    const expected = naive(ids, times, cats);
    assert.deepEqual([...(result.sequences.ids.values as Int32Array)], expected.ids);
    assert.deepEqual([...result.sequences.offsets], expected.offsets);
    assert.deepEqual([...result.sequences.times], expected.times);
    assert.deepEqual([...result.sequences.categorical.c!], expected.cats);
    assert.deepEqual(result.vocabularies.c!.tokens, expected.tokens);
    assert.equal(result.rows, rows);
  });

  it('reports progress per batch', async () => {
    const path = await write({ id: makeVector(Int32Array.from([1, 2, 3, 4, 5])), t: makeVector(Float64Array.from([1, 2, 3, 4, 5])) }, 2);
    const seen: number[] = [];
    await readSequences(path, { id: 'id', time: 't', categorical: [], numeric: [] }, { onBatch: (r) => seen.push(r) });
    assert.deepEqual(seen, [2, 4, 5]);
  });
});

describe('readSequences column types', () => {
  it('reads Int8/Uint32/Int64/float/string/LargeUtf8/dictionary ids with their kinds', async () => {
    const t = makeVector(Float64Array.from([2, 1, 3]));
    const cases: [Vector, string, unknown[]][] = [
      [vec([5, 3, 5], new Int8()), 'int32', [5, 3]],
      [vec([4_000_000_000, 1, 4_000_000_000], new Uint32()), 'int64', [4_000_000_000n, 1n]],
      [raw64(new Int64(), [2n ** 62n, -1n, 2n ** 62n]), 'int64', [2n ** 62n, -1n]],
      [vec([1.5, 2.5, 1.5], new Float64()), 'float64', [1.5, 2.5]],
      [vec(['x', 'y', 'x'], new LargeUtf8()), 'utf8', ['x', 'y']],
      [vec(['x', 'y', 'x'], new Dictionary(new Utf8(), new Int16())), 'utf8', ['x', 'y']],
    ];
    for (const [ids, kind, values] of cases) {
      const path = await write({ id: ids, t });
      const { sequences } = await readSequences(path, { id: 'id', time: 't', categorical: [], numeric: [] });
      assert.equal(sequences.ids.kind, kind, String(ids.type));
      assert.deepEqual([...sequences.ids.values], values, String(ids.type));
      assert.deepEqual([...sequences.offsets], [0, 2, 3]);
      assert.deepEqual([...sequences.times], [2, 3, 1]);
    }
  });

  it('turns Date and Timestamp columns of any unit into milliseconds', async () => {
    const id = makeVector(Int32Array.from([1, 1]));
    const ms = [86_400_000, 2 * 86_400_000];
    const times: Vector[] = [
      makeVector(makeData({ type: new DateDay(), length: 2, data: Int32Array.from([1, 2]) })),
      raw64(new TimestampSecond(), [86_400n, 172_800n]),
      raw64(new TimestampMicrosecond(), [86_400_000_000n, 172_800_000_000n]),
      raw64(new TimestampNanosecond(), [86_400_000_000_000n, 172_800_000_000_000n]),
    ];
    for (const t of times) {
      const { sequences } = await readSequences(await write({ id, t }), { id: 'id', time: 't', categorical: [], numeric: [] });
      assert.equal(sequences.timeUnit, 'ms');
      assert.deepEqual([...sequences.times], ms, String(t.type));
    }
  });

  it('codes integer, float and dictionary categoricals as strings the way the file shows them', async () => {
    const path = await write({
      id: makeVector(Int32Array.from([1, 1, 1, 2])),
      t: makeVector(Float64Array.from([1, 2, 3, 4])),
      i: vec([17, 17, 3, 17], new Int32()),
      d: vec(['b', 'a', 'b', 'b'], new Dictionary(new Utf8(), new Int8())),
    });
    const { vocabularies, sequences } = await readSequences(path, { id: 'id', time: 't', categorical: ['i', 'd'], numeric: [] });
    assert.deepEqual(vocabularies.i!.tokens, ['<pad>', '<unk>', '17', '3']);
    assert.deepEqual(vocabularies.d!.tokens, ['<pad>', '<unk>', 'b', 'a']);
    assert.deepEqual([...sequences.categorical.d!], [2, 3, 2, 2]);
  });
});

describe('readSequences dictionaries', () => {
  it('remaps each batch’s own dictionary (replacement dictionaries in a stream)', async () => {
    const dictType = () => new Dictionary(new Utf8(), new Int8(), 0);
    const batch = (ids: number[], words: (string | null)[]) =>
      new Table({ id: makeVector(Int32Array.from(ids)), t: makeVector(Float64Array.from(ids.map((_, i) => i))), w: vec(words, dictType()) }).batches[0]!;
    const path = join(dir, 'dicts.arrows');
    await writeArrowFile(path, [batch([1, 2, 1], ['x', 'y', 'x']), batch([2, 1, 3], ['z', 'y', null]), batch([3, 3], ['x', 'z'])], 'stream');
    const { sequences, vocabularies } = await readSequences(path, { id: 'id', time: 't', categorical: ['w'], numeric: [] });
    // counts x 3, y 2, z 2 (y first): x=2, y=3, z=4; null -> 1.
    assert.deepEqual(vocabularies.w!.tokens, ['<pad>', '<unk>', 'x', 'y', 'z']);
    assert.deepEqual([...sequences.offsets], [0, 3, 5, 8]);
    // Sorted by time: client 1 x, y, x; client 2 z, y; client 3 x, z, null.
    assert.deepEqual([...sequences.categorical.w!], [2, 3, 2, 4, 3, 2, 4, 1]);
  });
});

describe('readSequences values policy', () => {
  const mapping: SchemaMapping = { id: 'id', time: 't', categorical: ['c'], numeric: ['x'], transforms: { x: 'log' } };
  const base = () => ({
    id: makeVector(Int32Array.from([1, 1, 2])),
    t: makeVector(Float64Array.from([1, 2, 3])),
    c: vec(['a', null, 'a'], new Utf8()),
    x: vec([Math.E - 1, NaN, -Infinity], new Float64()),
  });

  it('maps null categoricals to 1 and null/NaN/Inf numerics to 0, counting them; applies transforms', async () => {
    const result = await readSequences(await write(base()), mapping);
    assert.deepEqual([...result.sequences.categorical.c!], [2, 1, 2]);
    assert.ok(Math.abs(result.sequences.numeric.x![0]! - 1) < 1e-6);
    assert.deepEqual([...result.sequences.numeric.x!.subarray(1)], [0, 0]);
    assert.deepEqual(result.replaced, { nullCategorical: { c: 1 }, nonFiniteNumeric: { x: 2 } });
  });

  it('re-uses given vocabularies: unseen tokens map to 1', async () => {
    const vocabularies = { c: Vocabulary.fromCounts(['z', 'a'], [5, 1]) };
    const result = await readSequences(await write(base()), mapping, { vocabularies });
    assert.deepEqual([...result.sequences.categorical.c!], [3, 1, 3]);
    assert.equal(result.vocabularies.c, vocabularies.c);
    await assert.rejects(readSequences(await write(base()), mapping, { vocabularies: {} }), ConfigError);
  });

  const rejects = async (columns: Record<string, Vector>, m: SchemaMapping, pattern: RegExp): Promise<void> => {
    const path = await write(columns);
    await assert.rejects(readSequences(path, m), (e: unknown) => {
      assert.ok(e instanceof DataFormatError, String(e));
      assert.match(e.message, pattern);
      assert.ok(e.message.includes(path), 'message names the file');
      return true;
    });
  };

  it('rejects null client ids and null or non-finite times', async () => {
    await rejects({ ...base(), id: vec([1, null, 2], new Int32()) }, mapping, /column `id` \(id\): expected no nulls, found 1 null\(s\).*row 1/);
    await rejects({ ...base(), t: vec([1, 2, null], new Float64()) }, mapping, /column `t` \(time\): expected no nulls, found 1 null/);
    await rejects({ ...base(), t: vec([1, Infinity, 2], new Float64()) }, mapping, /column `t` \(time\): expected finite times, found Infinity at row 1/);
    await rejects({ ...base(), id: vec([1.5, NaN, 2], new Float64()) }, mapping, /column `id` \(id\): expected finite ids, found NaN/);
  });

  it('rejects a missing mapped column, naming the columns found', async () => {
    await rejects(base(), { ...mapping, numeric: ['amount'], transforms: {} }, /column `amount` \(mapped as numeric\) not found; .*found: id, t, c, x/);
  });

  it('rejects a wrong column type', async () => {
    await rejects({ ...base(), x: vec(['1', '2', '3'], new Utf8()) }, mapping, /column `x` \(numeric\): expected an integer or float column .*, found Utf8/);
    await rejects({ ...base(), t: vec(['a', 'b', 'c'], new Utf8()) }, mapping, /column `t` \(time\): expected a numeric, Date or Timestamp column, found Utf8/);
  });

  it('rejects a file without rows', async () => {
    const empty = tableFromColumns({ id: new Int32Array(0), t: new Float64Array(0) });
    const path = join(dir, 'no-rows.arrow');
    await writeArrowTable(path, empty);
    await assert.rejects(readSequences(path, { id: 'id', time: 't', categorical: [], numeric: [] }), {
      name: 'DataFormatError',
      message: /no-rows\.arrow: expected at least one row, found 0 rows \(columns: id, t\)/,
    });
  });
});
