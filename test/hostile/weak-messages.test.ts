import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { readTargets } from '../../data/label-file.js';
import { generateTransactions } from '../../data/synthetic/generate-transactions.js';
import { DataFormatError } from '../../errors.js';
import { numberFlag } from '../../cli/flags.js';
import { hashes, meles } from './hostile-helpers.js';

let root: string;
let data: string;
let schema: string;

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'meles-hostile-msg-'));
  const summary = await generateTransactions({ out: join(root, 'data'), clients: 20, minEvents: 5, maxEvents: 20, seed: 9 });
  data = summary.transactionsPath;
  schema = summary.schemaPath;
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('weak messages made clear', () => {
  it('--hidden 8192 is refused up front naming the limit (was: "Invalid typed array length" after writing files)', async () => {
    const out = join(root, 'wide');
    const run = await meles(['train', '--data', data, '--schema', schema, '--out', out, '--hidden', '8192', '--epochs', '1', '--quiet']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /Expected `hidden` to be an integer in \[1, 4096\], got `8192`/);
    assert.equal(await exists(out), false, 'nothing written');
  });

  it('clients of one event each: training warns that recall@4 is meaningless (was: a silent "recall@4 1.0000")', async () => {
    const n = 40;
    const single = join(root, 'single.arrow');
    await writeArrowTable(
      single,
      tableFromColumns({
        client_id: Int32Array.from({ length: n }, (_, i) => i),
        trans_date: Float64Array.from({ length: n }, (_, i) => i),
        small_group: Int32Array.from({ length: n }, (_, i) => i % 7),
        tr_type: Int32Array.from({ length: n }, (_, i) => i % 3),
        amount_rur: Float32Array.from({ length: n }, (_, i) => i),
      }),
    );
    const run = await meles(['train', '--data', single, '--schema', schema, '--out', join(root, 'single-run'), '--hidden', '4', '--epochs', '1', '--batch-size', '16', '--validation-share', '0.5', '--quiet'], 240_000);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /MELES_MEANINGLESS_RECALL.*validation recall@4 is meaningless here: none of the \d+ validation clients has more than one event/);
  });

  it('a NaN label in a multiclass target names the file, column and row (not a class of its own)', async () => {
    const labels = join(root, 'nan.csv');
    await writeFile(labels, 'client_id,age\n1,0\n2,1\n3,NaN\n4,2\n');
    await assert.rejects(readTargets(labels, 'client_id', [{ column: 'age', kind: 'multiclass' }]), (e: unknown) =>
      e instanceof DataFormatError && /nan\.csv: target `age`: expected a class value or an empty\/null label, found NaN at row 3 \(id `3`\)/.test(e.message));
  });

  it('a header-only label CSV says it has no rows (was: "column `client_id` not found")', async () => {
    const labels = join(root, 'header.csv');
    await writeFile(labels, 'client_id,age\n');
    await assert.rejects(readTargets(labels, 'client_id', [{ column: 'age', kind: 'multiclass' }]), (e: unknown) =>
      e instanceof DataFormatError && /header\.csv: expected at least one label row, found no rows \(only the header: client_id, age\)/.test(e.message));
  });

  it('import-csv refuses bytes that are not UTF-8 naming line and column (was: silent U+FFFD); nothing written, input unchanged', async () => {
    const csv = join(root, 'latin1.csv');
    await writeFile(csv, Buffer.concat([Buffer.from('id,t,c\n1,1,cafe\n2,2,caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    const out = join(root, 'latin1.arrow');
    const before = await hashes(csv);
    const run = await meles(['import-csv', csv, '--out', out, '--id', 'id', '--time', 't', '--cat', 'c']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /latin1\.csv: line 3, column `c` \(categorical\): expected UTF-8 text \(the file has bytes that are not UTF-8/);
    assert.equal(await exists(out), false);
    assert.deepEqual(await hashes(csv), before);
  });

  it('1e400 and Infinity are refused like inf, in CSV numbers and in number flags', async () => {
    for (const value of ['1e400', 'Infinity', '-1e400', 'inf']) {
      const csv = join(root, `big-${value}.csv`);
      await writeFile(csv, `id,t,x\n1,1,2\n2,2,${value}\n`);
      const run = await meles(['import-csv', csv, '--out', join(root, 'big.arrow'), '--id', 'id', '--time', 't', '--num', 'x']);
      assert.equal(run.code, 2, `${value}: ${run.stderr}`);
      assert.match(run.stderr, new RegExp(`line 3, column \`x\` \\(numeric\\): expected a (finite )?number.*found \`${value.replace('+', '\\+')}\``));
      assert.throws(() => numberFlag('--lr', value), { name: 'ConfigError' });
    }
    assert.equal(await exists(join(root, 'big.arrow')), false);
  });

  it('a truncated registry.json names the file', async () => {
    const registry = join(root, 'registry');
    await mkdir(registry);
    await writeFile(join(registry, 'registry.json'), '{"format": 1, "versions": [{"version": 1, "pa');
    const run = await meles(['model', 'list', '--registry', registry]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /registry\/registry\.json.*invalid JSON/);
  });
});
