import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientIds, SequenceSet } from './sequence-set.js';
import { DataFormatError } from '../errors.js';
import { readSequenceRange, writeSequenceFile } from './sequence-file.js';

/** Three clients with 2, 0 and 3 events. */
function setWith(ids: ClientIds): SequenceSet {
  return {
    ids,
    offsets: Int32Array.from([0, 2, 2, 5]),
    times: Float64Array.from([1, 2, 3, 4.5, 6]),
    categorical: { mcc: Int32Array.from([2, 3, 1, 4, 2]), type: Int32Array.from([5, 5, 6, 7, 2]) },
    numeric: { amount: Float32Array.from([0.5, -1, 2, 3.25, 0]) },
    timeUnit: 'ms',
  };
}

/** Clients `from..to-1` of a set, built directly (the expected slice). */
function slice(set: SequenceSet, from: number, to: number): SequenceSet {
  const a = set.offsets[from]!;
  const b = set.offsets[to]!;
  const ids = set.ids;
  return {
    ids: ids.kind === 'utf8' ? { kind: 'utf8', values: ids.values.slice(from, to) } : ({ kind: ids.kind, values: ids.values.slice(from, to) } as ClientIds),
    offsets: set.offsets.slice(from, to + 1).map((o) => o - a),
    times: set.times.slice(a, b),
    categorical: Object.fromEntries(Object.entries(set.categorical).map(([k, v]) => [k, v.slice(a, b)])),
    numeric: Object.fromEntries(Object.entries(set.numeric).map(([k, v]) => [k, v.slice(a, b)])),
    timeUnit: set.timeUnit,
  };
}

describe('sequence file', () => {
  it('reads back any client range, for every id kind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-seqfile-'));
    try {
      const kinds: ClientIds[] = [
        { kind: 'int32', values: Int32Array.from([7, -1, 9]) },
        { kind: 'int64', values: BigInt64Array.from([1n << 40n, 2n, -3n]) },
        { kind: 'float64', values: Float64Array.from([1.5, 2, 3]) },
        { kind: 'utf8', values: ['a', 'bé', 'c"d'] },
      ];
      for (const ids of kinds) {
        const set = setWith(ids);
        const path = join(dir, `${ids.kind}.bin`);
        await writeSequenceFile(path, set, 'enc-1');
        for (const [from, to] of [[0, 3], [0, 1], [1, 3], [1, 2], [2, 2], [3, 3]] as const) {
          const got = await readSequenceRange(path, { encoding: 'enc-1', range: (n) => (assert.equal(n, 3), [from, to]) });
          assert.deepEqual(got, slice(set, from, to), `${ids.kind} [${from}, ${to})`);
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('returns null for another encoding; rejects foreign, cut-short files and bad ranges', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-seqfile-'));
    try {
      const path = join(dir, 's.bin');
      await writeSequenceFile(path, setWith({ kind: 'int32', values: Int32Array.from([1, 2, 3]) }), 'enc-1');
      assert.equal(await readSequenceRange(path, { encoding: 'enc-2', range: () => [0, 3] }), null);
      await assert.rejects(readSequenceRange(path, { encoding: 'enc-1', range: () => [2, 4] }), /Expected 0 <= from <= to <= 3, got from 2, to 4/);
      const bytes = await readFile(path);
      await writeFile(join(dir, 'short.bin'), bytes.subarray(0, bytes.length - 8));
      await assert.rejects(
        readSequenceRange(join(dir, 'short.bin'), { encoding: 'enc-1', range: () => [0, 3] }),
        (e: unknown) => e instanceof DataFormatError && /short\.bin: expected \d+ bytes at \d+, found \d+ \(file cut short\)/.test(e.message),
      );
      await writeFile(join(dir, 'other.bin'), 'PAR1 not a sequence file');
      await assert.rejects(
        readSequenceRange(join(dir, 'other.bin'), { encoding: 'enc-1', range: () => [0, 3] }),
        (e: unknown) => e instanceof DataFormatError && /expected a meles sequence file \(MELESSEQ\)/.test(e.message),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
