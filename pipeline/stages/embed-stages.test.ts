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

/** Runs the 3 shards and the merge; returns the rows and where each shard read its events. */
async function embedShards(): Promise<{ rows: Map<number, number[]>; from: string[] }> {
  const from: string[] = [];
  for (let index = 0; index < 3; index++) {
    const outcome = await runStep({ kind: 'embed-shard', shard: { index, count: 3 } }, config, { outRoot: config.out });
    assert.equal(outcome.skipped, false);
    from.push(/from (\w+)/.exec(outcome.summary)?.[1] ?? '?');
  }
  const merged = await runStep({ kind: 'embed' }, config, { outRoot: config.out });
  const parts = [0, 1, 2].map((i) => join(merged.dir, `part-${String(i).padStart(5, '0')}.arrow`));
  return { rows: await rowsOf(await Promise.all(parts.map(async (p) => tableFromIPC(await readFile(p))))), from };
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

  it('give the rows of fresh reads, from ingest\'s grouped file or, when it is stale, from the data file', async () => {
    assert.deepEqual(await embedShards(), { rows: await embedFresh('fresh1'), from: ['ingest', 'ingest', 'ingest'] });
    // Same path, new content, ingest not re-run: its grouped file is stale, so the shards must
    // read the new data file.
    await copyFile(join(root, 'gen2', 'transactions.arrow'), join(root, 'data.arrow'));
    const fresh2 = await embedFresh('fresh2');
    assert.equal(fresh2.size, 36);
    assert.deepEqual(await embedShards(), { rows: fresh2, from: ['data', 'data', 'data'] });
    // Ingest and train re-run (as the pipeline does when data changes): shards read slices again.
    await runStep({ kind: 'ingest' }, config, { outRoot: config.out });
    await runStep({ kind: 'train' }, config, { outRoot: config.out });
    assert.deepEqual(await embedShards(), { rows: await embedFresh('fresh3'), from: ['ingest', 'ingest', 'ingest'] });
  });
});
