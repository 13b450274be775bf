/**
 * The CLI over a partitioned dataset, in-process (no Redis): `meles features --data PARTDIR --out DIR`
 * writes parts and a manifest; an existing output and submit flags on a one-file input are refused
 * with exit code 2 before any work.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readColumnTable } from '../../data/keyed-table.js';
import { partitionDataset } from '../../data/partition.js';
import type { PartitionedOutputManifest } from '../../data/partitioned-output.js';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../../data/synthetic/generate-transactions.js';
import { meles } from '../../data/testing/run-meles.js';

describe('meles features over a partition directory', () => {
  let dir: string;
  let data: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meles-cli-partitioned-'));
    data = (await generateTransactions({ out: join(dir, 'gen'), clients: 50, minEvents: 5, maxEvents: 20, seed: 2 })).transactionsPath;
    await partitionDataset({ data, mapping: SYNTHETIC_SCHEMA, out: join(dir, 'parts'), partitions: 3 });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one part per partition and a manifest; refuses to overwrite an output and submit flags on a file', { timeout: 120_000 }, async () => {
    const out = join(dir, 'feat');
    const run = await meles('features', '--data', join(dir, 'parts'), '--out', out);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /50 rows in 3 partitions → .*feat\/manifest\.json \(features/);
    assert.deepEqual((await readdir(out)).sort(), ['manifest.json', 'part-00000.arrow', 'part-00001.arrow', 'part-00002.arrow']);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as PartitionedOutputManifest;
    assert.equal(manifest.kind, 'features');
    assert.equal(manifest.rows, 50);

    const again = await meles('features', '--data', join(dir, 'parts'), '--out', out);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /`--out` .*feat already holds a partitioned output/);
    const plain = await meles('features', '--data', data, '--schema', join(dir, 'gen', 'schema.json'), '--out', join(dir, 'one.arrow'), '--submit');
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /`--submit`.* need a partitioned input/);
    const submitToFile = await meles('features', '--data', join(dir, 'parts'), '--out', join(dir, 'sub.arrow'), '--submit');
    assert.equal(submitToFile.code, 2);
    assert.match(submitToFile.stderr, /expected a directory for the per-partition parts, found a file name \(\.arrow\)/);
    assert.deepEqual((await readdir(dir)).sort(), ['feat', 'gen', 'parts']);
    // A file name keeps one output file: the partitions read as one dataset, the same rows as the parts.
    const one = await meles('features', '--data', join(dir, 'parts'), '--schema', join(dir, 'gen', 'schema.json'), '--out', join(dir, 'one.arrow'));
    assert.equal(one.code, 0, one.stderr);
    const [whole, parted] = await Promise.all([readColumnTable(join(dir, 'one.arrow'), 'client_id'), readColumnTable(out, 'client_id')]);
    assert.deepEqual([...whole.keys].sort(), [...parted.keys].sort());
    assert.deepEqual(whole.names, parted.names);
  });

  it('every partition failing leaves no output directory; --wait-timeout is checked before any work', { timeout: 120_000 }, async () => {
    const broken = join(dir, 'parts-broken');
    await cp(join(dir, 'parts'), broken, { recursive: true });
    for (const file of (await readdir(broken)).filter((f) => f.endsWith('.arrow'))) {
      const bytes = await readFile(join(broken, file));
      bytes[bytes.length >> 1] ^= 0xff;
      await writeFile(join(broken, file), bytes);
    }
    const failed = await meles('features', '--data', broken, '--out', join(dir, 'new-parent', 'feat'));
    assert.equal(failed.code, 2, failed.stderr);
    assert.match(failed.stderr, /parts-broken\/part-00000\.arrow: expected sha256/);
    await assert.rejects(readdir(join(dir, 'new-parent')), { code: 'ENOENT' }, 'the directories the run created are gone');

    const cases: [string[], RegExp][] = [
      [['--submit', '--wait', '--wait-timeout', '0'], /Expected `--wait-timeout` to be a number of seconds > 0, got `0`/],
      [['--submit', '--wait', '--wait-timeout', 'soon'], /Expected `--wait-timeout` to be a number, got `soon`/],
      [['--submit', '--wait-timeout', '5'], /`--wait-timeout` goes with `--wait`/],
    ];
    for (const [flags, message] of cases) {
      // An unreachable Redis would exit 3: exit 2 shows the flag is refused before Redis is tried.
      const run = await meles('features', '--data', join(dir, 'parts'), '--out', join(dir, 'feat-timeout'), '--redis', 'redis://127.0.0.1:1', ...flags);
      assert.equal(run.code, 2, `${flags.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
    await assert.rejects(readdir(join(dir, 'feat-timeout')), { code: 'ENOENT' });
  });
});
