import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../../data/synthetic/generate-transactions.js';
import { initBackend } from '../../encoders/backend.js';
import { embedFile } from '../../training/embed-file.js';
import { parsePipelineConfig, type PipelineConfig } from '../pipeline-config.js';
import { runStep } from '../run-step.js';
import { stageDir } from '../stage.js';
import { MODEL_SUBDIR } from './train-stage.js';

let root: string;
let config: PipelineConfig;

/** client_id → embedding row, from every part file of the merged embed directory. */
async function rowsOf(tables: Table[]): Promise<Map<number, number[]>> {
  const rows = new Map<number, number[]>();
  for (const table of tables) {
    const width = table.numCols - 1;
    for (let i = 0; i < table.numRows; i++) {
      const row = table.get(i)!;
      const id = row.client_id as number;
      assert.equal(rows.has(id), false, `client ${id} appears twice`);
      rows.set(id, Array.from({ length: width }, (_, j) => row[`emb_${j}`] as number));
    }
  }
  return rows;
}

async function embedShards(): Promise<Map<number, number[]>> {
  for (let index = 0; index < 3; index++) await runStep({ kind: 'embed-shard', shard: { index, count: 3 } }, config, { outRoot: config.out });
  const merged = await runStep({ kind: 'embed' }, config, { outRoot: config.out });
  const parts = [0, 1, 2].map((i) => join(merged.dir, `part-${String(i).padStart(5, '0')}.arrow`));
  return rowsOf(await Promise.all(parts.map(async (p) => tableFromIPC(await readFile(p)))));
}

/** The same shards embedded directly, each reading the file afresh (the same batches, so identical bytes). */
async function embedFresh(name: string): Promise<Map<number, number[]>> {
  const tables: Table[] = [];
  for (let index = 0; index < 3; index++) {
    const out = join(root, `${name}-${index}.arrow`);
    const model = join(stageDir(config.out, 'train'), MODEL_SUBDIR);
    await embedFile({ model, data: config.data, out, backend: 'wasm', shard: { index, count: 3, by: 'range' } });
    tables.push(tableFromIPC(await readFile(out)));
  }
  return rowsOf(tables);
}

describe('embed shards in one process', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-embed-stages-'));
    for (const seed of [1, 2]) await generateTransactions({ out: join(root, `gen${seed}`), clients: 36, minEvents: 5, maxEvents: 20, seed });
    await copyFile(join(root, 'gen1', 'transactions.arrow'), join(root, 'data.arrow'));
    config = parsePipelineConfig({
      name: 'shards',
      data: 'data.arrow',
      schema: { ...SYNTHETIC_SCHEMA },
      out: 'out',
      train: { epochs: 1, batchSize: 12, maxBatchesPerEpoch: 1, encoder: { hidden: 8 }, validationShare: 0 },
      embed: { shards: 3 },
    }, 'test', root);
    await runStep({ kind: 'ingest' }, config, { outRoot: config.out });
    await runStep({ kind: 'train' }, config, { outRoot: config.out });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('give the rows of fresh reads, also after the data file is replaced in place', async () => {
    assert.deepEqual(await embedShards(), await embedFresh('fresh1'));
    // Same path, new content: the shards (run in this process, right after the first ones) must
    // read the new file rather than reuse the sequences kept from the old one.
    await copyFile(join(root, 'gen2', 'transactions.arrow'), join(root, 'data.arrow'));
    const second = await embedShards();
    const whole = await embedFresh('fresh2');
    assert.deepEqual(second, whole);
    assert.equal(second.size, 36);
  });
});
