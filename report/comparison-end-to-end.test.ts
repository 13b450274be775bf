import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromColumns, writeArrowTable } from '../data/arrow-sink.js';
import { Rng } from '../data/random.js';
import { readSequences } from '../data/read-sequences.js';
import { readSchemaMapping } from '../data/schema-mapping-io.js';
import { generateTransactions } from '../data/synthetic/generate-transactions.js';
import { writeAggregateFeatures } from '../downstream/features/aggregate-features-io.js';
import { compareFeatureSets } from '../downstream/evaluation/compare.js';
import { writeCompareReport } from './comparison-files.js';

/** A stand-in embedding: each client's small_group histogram through a fixed random projection. */
async function randomProjection(dataPath: string, schemaPath: string, outPath: string, dims: number): Promise<void> {
  const mapping = await readSchemaMapping(schemaPath);
  const { sequences, vocabularies } = await readSequences(dataPath, mapping);
  const codes = sequences.categorical.small_group!;
  const size = vocabularies.small_group!.size;
  const rng = new Rng(1);
  const W = Float64Array.from({ length: size * dims }, () => rng.normal());
  const clients = sequences.offsets.length - 1;
  const columns: Record<string, Float32Array | Int32Array> = { client_id: sequences.ids.values as Int32Array };
  for (let d = 0; d < dims; d++) columns[`emb_${d}`] = new Float32Array(clients);
  for (let c = 0; c < clients; c++) {
    const start = sequences.offsets[c]!;
    const end = sequences.offsets[c + 1]!;
    for (let e = start; e < end; e++) {
      for (let d = 0; d < dims; d++) (columns[`emb_${d}`] as Float32Array)[c]! += W[codes[e]! * dims + d]! / (end - start);
    }
  }
  await writeArrowTable(outPath, tableFromColumns(columns));
}

describe('downstream end to end on generated data', () => {
  it('generate → features → random-projection embeddings → compare → three reports', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-e2e-'));
    try {
      const g = await generateTransactions({ out: join(dir, 'data'), clients: 500, minEvents: 100, maxEvents: 200 });
      const mapping = await readSchemaMapping(g.schemaPath);
      const features = join(dir, 'features.arrow');
      const summary = await writeAggregateFeatures(g.transactionsPath, mapping, features);
      assert.equal(summary.clients, 500);
      assert.equal(summary.events, g.events);
      const emb = join(dir, 'emb.arrow');
      await randomProjection(g.transactionsPath, g.schemaPath, emb, 8);
      const result = await compareFeatureSets({
        targetsPath: g.targetsPath,
        idColumn: 'client_id',
        targets: [{ column: 'age_group', kind: 'multiclass' }, { column: 'gender', kind: 'binary' }],
        featureSets: [
          { name: 'handcrafted', paths: [features] },
          { name: 'random projection', paths: [emb] },
          { name: 'both', paths: [features, emb] },
        ],
        baseline: 'handcrafted',
        numIterations: 15,
        params: { multiclass: { minDataInLeaf: 10 }, binary: { minDataInLeaf: 10 } },
      });
      assert.equal(result.results.length, 6);
      assert.deepEqual(result.warnings, []);
      assert.equal(result.splits[0]!.used, 500);
      const gender = result.results.find((r) => r.set === 'handcrafted' && r.target === 'gender')!.metrics[0]!;
      assert.equal(gender.metric, 'auroc');
      // The generator plants a gender signal in transaction types, which the aggregates see.
      assert.ok(gender.valid.mean > 0.6, `handcrafted gender AUROC ${gender.valid.mean}`);
      const out = join(dir, 'report');
      await writeCompareReport(result, out);
      assert.deepEqual((await readdir(out)).sort(), ['report.html', 'report.json', 'report.md']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
