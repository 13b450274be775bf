import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFormatError } from '../errors.js';
import { importCsv } from './csv-import.js';
import { readSequences } from './read-sequences.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meles-csv-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const gender = { id: 'customer_id', time: 'tr_datetime', categorical: ['mcc_code', 'tr_type'], numeric: ['amount'] };
const header = 'customer_id,tr_datetime,mcc_code,tr_type,amount,term_id\n';

describe('importCsv', () => {
  it('streams the gender dataset layout into Arrow in several batches and reads back', async () => {
    const csv = join(dir, 'gender.csv');
    await writeFile(csv, `${header}39026145,0 10:23:26,4814,1030,-2245.92,\n39026145,1 10:19:29,6011,7010,56147.89,\n7,1 10:20:56,4829,2330,-56147.89,x\n7,0 09:00:00,5499,1010,,\n7,2 00:00:00,5499,1010,12,\n`);
    const out = join(dir, 'gender.arrow');
    assert.equal(await importCsv(csv, out, gender, { batchRows: 2 }), 5);
    const { sequences, vocabularies, replaced } = await readSequences(out, gender);
    assert.deepEqual(sequences.ids, { kind: 'int64', values: BigInt64Array.from([39026145n, 7n]) });
    assert.deepEqual([...sequences.offsets], [0, 2, 5]);
    assert.ok(Math.abs(sequences.times[2]! - 0.375) < 1e-12, 'day 0 09:00:00 is 0.375 days');
    assert.deepEqual(vocabularies.mcc_code!.tokens.slice(2), ['5499', '4814', '6011', '4829']);
    assert.equal(replaced.nonFiniteNumeric.amount, 1);
  });

  it('names file, line, column and value for a bad value, and leaves no output', async () => {
    const csv = join(dir, 'bad.csv');
    await writeFile(csv, `${header}1,0 10:23:26,4814,1030,1.5,\n1,1 10:19:29,6011,7010,lots,\n`);
    const out = join(dir, 'bad.arrow');
    await assert.rejects(importCsv(csv, out, gender), (e: unknown) => {
      assert.ok(e instanceof DataFormatError);
      assert.match(e.message, /bad\.csv: line 3, column `amount` \(numeric\): expected a number, found `lots`/);
      return true;
    });
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('bad.arrow')), []);
  });

  it('rejects a missing mapped column and an empty file', async () => {
    const csv = join(dir, 'cols.csv');
    await writeFile(csv, 'customer_id,tr_datetime\n1,2\n');
    await assert.rejects(importCsv(csv, join(dir, 'cols.arrow'), gender), {
      name: 'DataFormatError',
      message: /cols\.csv: column `mcc_code` \(mapped as categorical\) not found; expected it in the header, found: customer_id, tr_datetime/,
    });
    const empty = join(dir, 'empty.csv');
    await writeFile(empty, '');
    await assert.rejects(importCsv(empty, join(dir, 'empty.arrow'), gender), { name: 'DataFormatError', message: /empty\.csv: expected a header line and rows/ });
  });
});
