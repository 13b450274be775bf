import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, Table, Utf8, vectorFromArray, type Schema, type Vector } from 'apache-arrow';
import { openRecordBatches } from '../../data/arrow-source.js';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { ID_COLUMN_METADATA_KEY } from '../../data/keyed-table.js';
import { meles } from '../../data/testing/run-meles.js';
import { ConfigError } from '../../errors.js';
import { resolveIdColumn } from '../evaluation-flags.js';

/** Rewrites `from` with its `client_id` column renamed to `cid` and turned into strings `c<id>`. */
async function renameId(from: string, to: string): Promise<void> {
  const parts: Table[] = [];
  for await (const batch of openRecordBatches(from)) {
    const columns: Record<string, Vector> = {};
    for (const field of batch.schema.fields) {
      const column = batch.getChild(field.name)!;
      columns[field.name === 'client_id' ? 'cid' : field.name] =
        field.name === 'client_id' ? vectorFromArray(Array.from(column.toArray() as ArrayLike<number>, (v) => `c${v}`), new Utf8()) : column;
    }
    parts.push(new Table(columns));
  }
  await writeArrowTable(to, parts.slice(1).reduce((a, b) => a.concat(b), parts[0]!));
}

async function schemaOf(path: string): Promise<Schema> {
  for await (const batch of openRecordBatches(path)) return batch.schema;
  throw new Error(`${path}: no batches`);
}

describe('outputs keep the source id column (meles features / embed / compare)', () => {
  it('writes `cid` (Utf8) with its name in the metadata, and compare finds it without --id', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-cid-'));
    try {
      const gen = await meles('generate', '--out', join(dir, 'gen'), '--clients', '240', '--seed', '7', '--min-events', '20', '--max-events', '40');
      assert.equal(gen.code, 0, gen.stderr);
      await renameId(join(dir, 'gen', 'transactions.arrow'), join(dir, 'tx.arrow'));
      await renameId(join(dir, 'gen', 'targets.arrow'), join(dir, 'targets.arrow'));
      const schema = JSON.parse(await readFile(join(dir, 'gen', 'schema.json'), 'utf8')) as Record<string, unknown>;
      await writeFile(join(dir, 'schema.json'), JSON.stringify({ ...schema, id: 'cid' }));

      const features = await meles('features', '--data', join(dir, 'tx.arrow'), '--schema', join(dir, 'schema.json'), '--out', join(dir, 'features.arrow'));
      assert.equal(features.code, 0, features.stderr);
      const train = await meles('train', '--data', join(dir, 'tx.arrow'), '--schema', join(dir, 'schema.json'), '--out', join(dir, 'model'),
        '--epochs', '1', '--hidden', '8', '--batch-size', '64', '--quiet');
      assert.equal(train.code, 0, train.stderr);
      const embed = await meles('embed', '--model', join(dir, 'model'), '--data', join(dir, 'tx.arrow'), '--out', join(dir, 'emb.arrow'), '--quiet');
      assert.equal(embed.code, 0, embed.stderr);

      for (const file of ['features.arrow', 'emb.arrow']) {
        const s = await schemaOf(join(dir, file));
        assert.equal(s.fields[0]!.name, 'cid', `${file}: id column first, named as in the source`);
        assert.ok(DataType.isUtf8(s.fields[0]!.type), `${file}: id type Utf8 as in the source, found ${String(s.fields[0]!.type)}`);
        assert.equal(s.metadata.get(ID_COLUMN_METADATA_KEY), 'cid', `${file}: id column recorded in the metadata`);
      }

      const out = join(dir, 'cmp');
      const compare = await meles('compare', '--targets', join(dir, 'targets.arrow'), '--target', 'gender:binary',
        '--set', `meles=${join(dir, 'emb.arrow')}`, '--set', `handcrafted=${join(dir, 'features.arrow')}`,
        '--num-iterations', '5', '--folds', '2', '--out', out);
      assert.equal(compare.code, 0, compare.stderr);
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as { results: { set: string }[] };
      assert.deepEqual([...new Set(report.results.map((r) => r.set))], ['meles', 'handcrafted']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('without --id, refuses files that record no id column or different ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-cid-'));
    try {
      await writeArrowTable(join(dir, 'plain.arrow'), tableFromColumns({ id: ['a', 'b'], x: new Float32Array(2) }));
      const recorded = (column: string): Table => {
        const table = tableFromColumns({ [column]: ['a', 'b'], x: new Float32Array(2) });
        table.schema.metadata.set(ID_COLUMN_METADATA_KEY, column);
        return table;
      };
      await writeArrowTable(join(dir, 'a.arrow'), recorded('cid'));
      await writeArrowTable(join(dir, 'b.arrow'), recorded('client_id'));
      const set = (...paths: string[]): { name: string; paths: string[] }[] => [{ name: 's', paths: paths.map((p) => join(dir, p)) }];
      assert.equal(await resolveIdColumn(undefined, set('a.arrow')), 'cid');
      assert.equal(await resolveIdColumn('other', set('plain.arrow')), 'other', '--id wins');
      await assert.rejects(resolveIdColumn(undefined, set('a.arrow', 'plain.arrow')), (e: unknown) => e instanceof ConfigError && /plain\.arrow does not record its id column/.test(e.message));
      await assert.rejects(resolveIdColumn(undefined, set('a.arrow', 'b.arrow')), (e: unknown) => e instanceof ConfigError && /record different id columns/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
