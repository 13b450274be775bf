import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromColumns, writeArrowTable } from './arrow-sink.js';
import { DataFormatError } from '../errors.js';
import { readFeatureTable } from './feature-table.js';
import { parseTargetSpec, readTargets } from './label-file.js';

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'meles-ft-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('feature tables', () => {
  it('inner-joins files on the id, keeps NaN, reports dropped ids and renames clashing columns', async () => {
    await withDir(async (dir) => {
      await writeArrowTable(join(dir, 'a.arrow'), tableFromColumns({
        id: new Int32Array([1, 2, 3, 4]),
        x: new Float32Array([10, NaN, 30, 40]),
      }));
      await writeArrowTable(join(dir, 'b.arrow'), tableFromColumns({
        id: new BigInt64Array([4n, 3n, 1n]),
        x: new Float64Array([0.4, 0.3, 0.1]),
        n: new Int32Array([4, 3, 1]),
      }));
      const t = await readFeatureTable([join(dir, 'a.arrow'), join(dir, 'b.arrow')], 'id');
      assert.deepEqual(t.keys, ['1', '3', '4']);
      assert.deepEqual(t.names, ['x', 'b.arrow:x', 'n']);
      assert.equal(t.rows, 3);
      assert.equal(t.cols, 3);
      assert.deepEqual(Array.from(t.X), [10, 0.1, 1, 30, 0.3, 3, 40, 0.4, 4]);
      assert.deepEqual(t.dropped.map((d) => d.count), [1, 0]);
      assert.ok(t.warnings.some((w) => /1 id\(s\) are missing/.test(w)));
      assert.ok(t.warnings.some((w) => /prefixed/.test(w)));

      await writeArrowTable(join(dir, 'c.arrow'), tableFromColumns({ id: new Int32Array([1, 2]), x: new Float32Array([1, NaN]) }));
      const withNaN = await readFeatureTable([join(dir, 'c.arrow')], 'id');
      assert.ok(Number.isNaN(withNaN.X[1]));
    });
  });

  it('matches numeric and string ids by text with a warning; errors when nothing matches', async () => {
    await withDir(async (dir) => {
      await writeArrowTable(join(dir, 'num.arrow'), tableFromColumns({ id: new Int32Array([1, 2]), x: new Float32Array([1, 2]) }));
      await writeArrowTable(join(dir, 'str.arrow'), tableFromColumns({ id: ['2', '1'], y: new Float32Array([20, 10]) }));
      const t = await readFeatureTable([join(dir, 'num.arrow'), join(dir, 'str.arrow')], 'id');
      assert.deepEqual(Array.from(t.X), [1, 10, 2, 20]);
      assert.ok(t.warnings.some((w) => /numeric in some files and text in others/.test(w)));
      await writeArrowTable(join(dir, 'other.arrow'), tableFromColumns({ id: ['c1', 'c2'], y: new Float32Array([1, 2]) }));
      await assert.rejects(readFeatureTable([join(dir, 'num.arrow'), join(dir, 'other.arrow')], 'id'), {
        name: 'DataFormatError',
        message: /No client id of `id` is present in every feature file .*id types differ/,
      });
    });
  });

  it('rejects non-numeric features, target columns, duplicate and missing ids', async () => {
    await withDir(async (dir) => {
      await writeArrowTable(join(dir, 's.arrow'), tableFromColumns({ id: new Int32Array([1]), city: ['Paris'] }));
      await assert.rejects(readFeatureTable([join(dir, 's.arrow')], 'id'), {
        message: /s\.arrow: column `city`: expected a numeric feature column \(integer or float\), found Utf8/,
      });
      await writeArrowTable(join(dir, 'd.arrow'), tableFromColumns({ id: new Int32Array([1, 1]), x: new Float32Array([1, 2]) }));
      await assert.rejects(readFeatureTable([join(dir, 'd.arrow')], 'id'), { message: /found id `1` twice/ });
      await assert.rejects(readFeatureTable([join(dir, 'd.arrow')], 'client'), { message: /id column `client` not found; found columns: id, x/ });
      await writeArrowTable(join(dir, 'g.arrow'), tableFromColumns({ id: new Int32Array([1]), gender: new Int32Array([1]) }));
      await assert.rejects(readFeatureTable([join(dir, 'g.arrow')], 'id', { forbidden: ['gender'] }), { message: /`gender` is a target/ });
    });
  });
});

describe('targets', () => {
  it('reads CSV and Arrow labels, sorts classes numerically and skips unlabelled rows', async () => {
    await withDir(async (dir) => {
      await writeFile(join(dir, 't.csv'), 'client_id,age,gender\n1,10,0\n2,2,1\n3,,1\n4,2,0\n');
      const { targets, idKind } = await readTargets(join(dir, 't.csv'), 'client_id', [
        { column: 'age', kind: 'multiclass' },
        { column: 'gender', kind: 'binary' },
      ]);
      assert.equal(idKind, 'number');
      assert.deepEqual(targets[0]!.keys, ['1', '2', '4']);
      assert.deepEqual(targets[0]!.classes, ['2', '10']);
      assert.deepEqual(Array.from(targets[0]!.labels), [1, 0, 0]);
      assert.deepEqual(Array.from(targets[1]!.labels), [0, 1, 1, 0]);

      await writeArrowTable(join(dir, 't.arrow'), tableFromColumns({ id: ['a', 'b', 'c'], g: ['F', 'M', 'F'] }));
      const arrow = await readTargets(join(dir, 't.arrow'), 'id', [{ column: 'g', kind: 'binary' }]);
      assert.deepEqual(arrow.targets[0]!.classes, ['F', 'M']);
      assert.deepEqual(Array.from(arrow.targets[0]!.labels), [0, 1, 0]);
    });
  });

  it('rejects a one-class target, a non-binary binary target, a missing column and bad specs', async () => {
    await withDir(async (dir) => {
      await writeFile(join(dir, 't.csv'), 'id,y,z\n1,1,0\n2,1,1\n3,1,2\n');
      await assert.rejects(readTargets(join(dir, 't.csv'), 'id', [{ column: 'y', kind: 'binary' }]), (e: unknown) =>
        e instanceof DataFormatError && /t\.csv: target `y` \(binary\): expected at least 2 classes, found 1 \(`1`\)/.test(e.message));
      await assert.rejects(readTargets(join(dir, 't.csv'), 'id', [{ column: 'z', kind: 'binary' }]), {
        message: /expected exactly 2 classes, found 3 \(0, 1, 2\); use :multiclass/,
      });
      await assert.rejects(readTargets(join(dir, 't.csv'), 'id', [{ column: 'w', kind: 'binary' }]), {
        message: /column `w` not found; found columns: id, y, z/,
      });
    });
    assert.deepEqual(parseTargetSpec('age_group:multiclass'), { column: 'age_group', kind: 'multiclass' });
    assert.throws(() => parseTargetSpec('gender'), { name: 'ConfigError', message: /column:binary or column:multiclass, got `gender`/ });
    assert.throws(() => parseTargetSpec('gender:regression'), { name: 'ConfigError' });
  });
});
