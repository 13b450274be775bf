/**
 * Label CSV files with bytes that are not UTF-8: decoding would turn them into U+FFFD, so a
 * cp1251/latin-1 class value (or id) would silently become another class (or client). The label
 * reader refuses them like `meles import-csv` does, naming the file, the line and the column.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { readTargets } from '../../data/label-file.js';
import { DataFormatError } from '../../errors.js';
import { hashes, meles } from './hostile-helpers.js';

let root: string;

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'meles-non-utf8-labels-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A label CSV whose line 4 holds the latin-1 byte 0xE9 (é) in the `city` column. */
async function latin1Labels(name: string): Promise<string> {
  const path = join(root, name);
  await writeFile(path, Buffer.concat([Buffer.from('client_id,city\n1,paris\n\n2,caf'), Buffer.from([0xe9]), Buffer.from('\n3,paris\n4,lyon\n')]));
  return path;
}

describe('non-UTF-8 bytes in label CSV files', () => {
  it('readTargets refuses them naming the file, the line and the column (was: a silent U+FFFD class)', async () => {
    const path = await latin1Labels('latin1.csv');
    await assert.rejects(readTargets(path, 'client_id', [{ column: 'city', kind: 'multiclass' }]), (error: unknown) => {
      assert.ok(error instanceof DataFormatError);
      assert.match(error.message, /latin1\.csv: line 4, column `city`: expected UTF-8 text \(the file has bytes that are not UTF-8/);
      return true;
    });
  });

  it('a truncated multi-byte character at the very end of the file is refused too', async () => {
    const path = join(root, 'truncated.csv');
    await writeFile(path, Buffer.concat([Buffer.from('client_id,city\n1,paris\n2,lyon\n3,'), Buffer.from([0xc3])]));
    await assert.rejects(readTargets(path, 'client_id', [{ column: 'city', kind: 'multiclass' }]), /truncated\.csv: line 4, column `city`: expected UTF-8 text/);
  });

  it('valid multi-byte labels (and a genuine U+FFFD in valid UTF-8) are still read', async () => {
    const path = join(root, 'utf8.csv');
    await writeFile(path, 'client_id,city\n1,Köln\n2,Москва\n3,\uFFFD\n');
    const { targets } = await readTargets(path, 'client_id', [{ column: 'city', kind: 'multiclass' }]);
    assert.deepEqual(targets[0]!.classes, ['Köln', 'Москва', '\uFFFD'].sort());
  });

  it('meles fit exits with code 2 and writes nothing; the label file is unchanged', async () => {
    const labels = await latin1Labels('fit-labels.csv');
    const features = join(root, 'features.arrow');
    await writeArrowTable(features, tableFromColumns({ client_id: Int32Array.from([1, 2, 3, 4]), x: Float64Array.from([0.1, 0.2, 0.3, 0.4]) }));
    const before = await hashes(labels);
    const out = join(root, 'model');
    const run = await meles(['fit', '--features', features, '--targets', labels, '--id', 'client_id', '--target', 'city:multiclass', '--out', out]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /fit-labels\.csv: line 4, column `city`: expected UTF-8 text/);
    assert.equal(await exists(out), false, 'nothing written');
    assert.deepEqual(await hashes(labels), before);
  });
});
