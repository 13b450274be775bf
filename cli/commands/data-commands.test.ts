import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileSummary } from '../../data/inspect-file.js';
import { meles } from '../../data/testing/run-meles.js';
import { schemaFromOptions } from '../schema-options.js';
import { formatSummary } from './inspect.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meles-cli-data-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('meles generate / inspect / import-csv', () => {
  it('generates a dataset that inspect summarises (text and --json)', async () => {
    const out = join(dir, 'gen');
    const gen = await meles('generate', '--out', out, '--clients', '60', '--seed', '3', '--min-events', '10', '--max-events', '20');
    assert.equal(gen.code, 0, gen.stderr);
    assert.match(gen.stdout, /60 clients/);
    const json = await meles('inspect', join(out, 'transactions.arrow'), '--schema', join(out, 'schema.json'), '--json');
    assert.equal(json.code, 0, json.stderr);
    const summary = JSON.parse(json.stdout) as { clients: number; rows: number; sequenceLength: { min: number; max: number }; categorical: Record<string, { cardinality: number }> };
    assert.equal(summary.clients, 60);
    assert.ok(summary.sequenceLength.min >= 10 && summary.sequenceLength.max <= 20);
    assert.equal(summary.categorical.tr_type!.cardinality > 5, true);
    const text = formatSummary(JSON.parse(json.stdout) as FileSummary);
    assert.match(text, /clients: 60\n/);
    assert.match(text, /amount_rur: Float32, 0 nulls/);
  });

  it('exits 2 with the message on stderr for bad input, and writes no partial output; flags are validated', async () => {
    const notArrow = join(dir, 'x.arrow');
    await writeFile(notArrow, 'client_id,trans_date\n1,2\n');
    const a = await meles('inspect', notArrow, '--id', 'client_id', '--time', 'trans_date');
    assert.equal(a.code, 2);
    assert.match(a.stderr, /x\.arrow: expected an Arrow IPC file or stream/);

    await assert.rejects(schemaFromOptions({ id: 'c', time: 't', cat: ['m'], num: ['m'] }), {
      name: 'ConfigError',
      message: /command-line flags: column `m` is mapped twice/,
    });
    await assert.rejects(schemaFromOptions({ schema: 's.json', id: 'c' }), { name: 'ConfigError', message: /either `--schema FILE` or the column flags/ });
    await assert.rejects(schemaFromOptions({ cat: ['m'] }), { name: 'ConfigError', message: /A schema mapping is required/ });

    const csv = join(dir, 'in.csv');
    await writeFile(csv, 'client_id,trans_date,amount_rur\n1,5,1.0\n1,,2.0\n');
    const imp = await meles('import-csv', csv, '--out', join(dir, 'out.arrow'), '--id', 'client_id', '--time', 'trans_date', '--num', 'amount_rur');
    assert.equal(imp.code, 2);
    assert.match(imp.stderr, /in\.csv: line 3, column `trans_date` \(time\): expected a number, found ``/);
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('out.arrow')), []);
  });
});
