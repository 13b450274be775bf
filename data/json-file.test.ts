import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, DataFormatError } from '../errors.js';
import { readJsonFile, readOptionalJsonFile } from './json-file.js';

const schema = z.object({ a: z.number(), b: z.object({ c: z.number() }), d: z.array(z.object({ e: z.string() })).optional() });

describe('readJsonFile', () => {
  it('returns the parsed value and names the file, the JSON position or the field in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-json-'));
    try {
      const path = join(dir, 'x.json');
      await writeFile(path, '{"a": 1, "b": {"c": 2}}');
      assert.deepEqual(await readJsonFile(path, 'thing', schema), { a: 1, b: { c: 2 } });

      await writeFile(path, '{"a": 1,\n "b": }');
      await assert.rejects(readJsonFile(path, 'thing', schema), (e: unknown) =>
        e instanceof DataFormatError && /x\.json: expected thing as JSON, found invalid JSON at line 2 column \d+/.test(e.message));

      await writeFile(path, '{"a": 1, "b": {"c": "two"}}');
      await assert.rejects(readJsonFile(path, 'thing', schema), (e: unknown) =>
        e instanceof DataFormatError && /x\.json: expected thing, found a problem at field `b\.c`/.test(e.message));
      await writeFile(path, '{"a": 1, "b": {"c": 2}, "d": [{"e": 3}]}');
      await assert.rejects(readJsonFile(path, 'thing', schema), /field `d\[0\]\.e`/);

      await assert.rejects(readJsonFile(join(dir, 'none.json'), 'thing', schema), (e: unknown) =>
        e instanceof DataFormatError && /none\.json: cannot read thing \(ENOENT\)/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('throws the class the caller chooses (ConfigError for the user\'s configuration)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-json-'));
    try {
      const path = join(dir, 'cfg.json');
      await writeFile(path, '[');
      await assert.rejects(readJsonFile(path, 'config', z.unknown(), { errorClass: ConfigError }), ConfigError);
      await assert.rejects(readJsonFile(join(dir, 'none.json'), 'model', z.unknown(), { unreadableErrorClass: ConfigError, unreadableHint: 'is this a model?' }), (e: unknown) =>
        e instanceof ConfigError && /cannot read model \(ENOENT\); is this a model\?/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('readOptionalJsonFile: a missing file is undefined, a corrupt one still an error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-json-'));
    try {
      assert.equal(await readOptionalJsonFile(join(dir, 'none.json'), 'index', schema), undefined);
      await writeFile(join(dir, 'bad.json'), 'not json');
      await assert.rejects(readOptionalJsonFile(join(dir, 'bad.json'), 'index', schema), DataFormatError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
