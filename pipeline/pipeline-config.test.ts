import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { parsePipelineConfig, pipelineToJson, readPipelineFile } from './pipeline-config.js';
import { planPipeline, stepLabel } from './steps.js';

const SCHEMA = { id: 'client_id', time: 'trans_date', categorical: ['small_group'], numeric: ['amount_rur'] };

describe('pipeline file', () => {
  it('resolves paths against the file, reads a schema file, and round-trips through the job form', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-pcfg-'));
    try {
      await writeFile(join(dir, 'schema.json'), JSON.stringify(SCHEMA));
      await writeFile(join(dir, 'p.json'), JSON.stringify({
        name: 'demo', data: 'tx.arrow', schema: 'schema.json', out: 'out', embed: { shards: 3 },
        targets: { path: 't.arrow', columns: [{ name: 'gender', kind: 'binary' }] },
      }));
      const config = await readPipelineFile(join(dir, 'p.json'));
      assert.equal(config.data, join(dir, 'tx.arrow'));
      assert.equal(config.targets?.path, join(dir, 't.arrow'));
      assert.deepEqual(config.schema.categorical, ['small_group']);
      assert.deepEqual(planPipeline(config).map(stepLabel), ['ingest', 'features', 'train', 'embed-shard 1/3', 'embed-shard 2/3', 'embed-shard 3/3', 'embed', 'compare']);
      assert.deepEqual(parsePipelineConfig(pipelineToJson(config), 'job x', '/elsewhere'), config);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names every problem readably', () => {
    const bad = (raw: unknown, pattern: RegExp) =>
      assert.throws(() => parsePipelineConfig(raw, 'p.json', '/'), (e: unknown) => e instanceof ConfigError && pattern.test(e.message));
    bad({ name: '7', data: 'a', schema: SCHEMA, out: 'o' }, /must start with a letter[\s\S]*name/);
    bad({ name: 'a', schema: SCHEMA, out: 'o' }, /data/);
    bad({ name: 'a', data: 'a', schema: SCHEMA, out: 'o', embed: { shards: 0 } }, /embed\.shards/);
    bad({ name: 'a', data: 'a', schema: SCHEMA, out: 'o', extra: 1 }, /extra/);
    bad({ name: 'a', data: 'a', schema: { ...SCHEMA, numeric: ['small_group'] }, out: 'o' }, /mapped twice/);
    bad({ name: 'a', data: 'a', schema: SCHEMA, out: 'o', train: { epochs: 0 } }, /Expected `epochs` to be an integer >= 1, got `0`/);
  });
});
