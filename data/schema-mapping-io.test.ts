import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { readSchemaMapping, validateSchemaMapping } from './schema-mapping-io.js';

describe('schema mapping validation', () => {
  it('accepts both public datasets’ column names and fills defaults', () => {
    assert.deepEqual(validateSchemaMapping({ id: 'client_id', time: 'trans_date', categorical: ['small_group'], numeric: ['amount_rur'] }, 'x'), {
      id: 'client_id',
      time: 'trans_date',
      categorical: ['small_group'],
      numeric: ['amount_rur'],
      transforms: {},
      targets: [],
    });
    const gender = validateSchemaMapping(
      { id: 'customer_id', time: 'tr_datetime', categorical: ['mcc_code', 'tr_type'], numeric: ['amount'], transforms: { amount: 'log' } },
      'x',
    );
    assert.deepEqual(gender.transforms, { amount: 'log' });
  });

  it('rejects a column mapped twice, naming both roles', () => {
    assert.throws(() => validateSchemaMapping({ id: 'a', time: 't', categorical: ['m'], numeric: ['m'] }, 'cfg.json'), {
      name: 'ConfigError',
      message: 'cfg.json: column `m` is mapped twice (as `categorical` and as `numeric`); map each column once',
    });
    assert.throws(() => validateSchemaMapping({ id: 'a', time: 'a' }, 'cfg.json'), /column `a` is mapped twice \(as `id` and as `time`\)/);
  });

  it('rejects unknown keys, empty names, wrong shapes and bad transforms', () => {
    assert.throws(() => validateSchemaMapping({ id: 'a', time: 't', categorcal: [] }, 'cfg.json'), /Unknown option `categorcal` in cfg\.json/);
    assert.throws(() => validateSchemaMapping({ id: '', time: 't' }, 'cfg.json'), /cfg\.json: expected `id` to be a non-empty column name, got `` \(string\)/);
    assert.throws(() => validateSchemaMapping({ id: 'a', time: 't', numeric: 'x' }, 'cfg.json'), /expected `numeric` to be an array of column names/);
    assert.throws(() => validateSchemaMapping({ id: 'a', time: 't', numeric: ['x'], transforms: { x: 'sqrt' } }, 'c'), /`transforms.x` to be one of identity, log, year/);
    assert.throws(() => validateSchemaMapping({ id: 'a', time: 't', transforms: { y: 'log' } }, 'c'), /names `y`, which is not a numeric column/);
    assert.throws(() => validateSchemaMapping([], 'c'), ConfigError);
  });

  it('reads a mapping file and names the file in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-schema-'));
    try {
      const path = join(dir, 'schema.json');
      await writeFile(path, '{"id": "client_id", "time": "trans_date", "categorical": ["small_group"], "numeric": ["amount_rur"]}');
      assert.equal((await readSchemaMapping(path)).id, 'client_id');
      await writeFile(path, '{"id": "client_id",');
      await assert.rejects(readSchemaMapping(path), { name: 'ConfigError', message: /schema\.json: expected schema mapping as JSON, found invalid JSON at line/ });
      await assert.rejects(readSchemaMapping(join(dir, 'none.json')), { name: 'ConfigError', message: /none\.json: cannot read schema mapping \(ENOENT\)/ });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
