import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { readFeatureTable } from '../../data/feature-table.js';
import { Rng } from '../../data/random.js';
import { readSchemaMapping } from '../../data/schema-mapping-io.js';
import { generateTransactions } from '../../data/synthetic/generate-transactions.js';
import { meles } from '../../data/testing/run-meles.js';
import { DataFormatError } from '../../errors.js';
import { writeAggregateFeatures } from '../features/aggregate-features-io.js';
import { Booster } from '../lightgbm/index.js';
import { fitModel } from './fit-model.js';
import { readModelArtefact } from './model-artefact.js';
import { scoreModel } from './score-model.js';

async function readArrow(path: string): Promise<Table> {
  return tableFromIPC(await readFile(path));
}

function column(table: Table, name: string): number[] {
  const vector = table.getChild(name);
  assert.ok(vector, `column ${name} in ${table.schema.fields.map((f) => f.name).join(', ')}`);
  return Array.from(vector.toArray() as ArrayLike<number>, Number);
}

let dir: string;
let features: string;
let targets: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meles-scoring-'));
  const g = await generateTransactions({ out: join(dir, 'data'), clients: 400, minEvents: 30, maxEvents: 60, seed: 5 });
  features = join(dir, 'features.arrow');
  await writeAggregateFeatures(g.transactionsPath, await readSchemaMapping(g.schemaPath), features, { maxValuesPerCategorical: 20 });
  targets = g.targetsPath;
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fit and score on generated data', () => {
  it('binary: predictions equal the saved booster\'s own, keyed by the source ids', async () => {
    const out = join(dir, 'gender-model');
    const { fit } = await fitModel({ features: [features], targets, idColumn: 'client_id', target: { column: 'gender', kind: 'binary' }, out, trees: 30 });
    assert.deepEqual([fit.kind, fit.classes, fit.rows, fit.trees], ['binary', ['0', '1'], 400, 30]);
    assert.equal(fit.featureFiles[0]!.rows, 400);
    assert.match(fit.featureFiles[0]!.sha256, /^[0-9a-f]{64}$/);
    const predictions = join(dir, 'gender.arrow');
    const result = await scoreModel({ model: out, features: [features], out: predictions });
    assert.deepEqual(result.columns, ['client_id', 'p_1', 'prediction']);

    const table = await readArrow(predictions);
    const source = await readFeatureTable([features], 'client_id');
    const booster = Booster.loadFromString(await readFile(join(out, 'model.txt'), 'utf8'));
    const expected = Array.from(booster.predict(source.X, source.rows, source.cols));
    booster.free();
    assert.equal(String(table.schema.fields[0]!.type), 'Int32', 'the id keeps the source type');
    assert.deepEqual(column(table, 'client_id').map(String), source.keys);
    assert.deepEqual(column(table, 'p_1'), expected);
    assert.deepEqual(column(table, 'prediction'), expected.map((p) => (p >= 0.5 ? 1 : 0)));
    assert.ok(new Set(expected).size > 10, 'the model is not constant');
  });

  it('multiclass: one probability per class in label order, prediction = the most probable class; --evaluate records the protocol', async () => {
    const out = join(dir, 'age-model');
    const { fit } = await fitModel({
      features: [features], targets, idColumn: 'client_id', target: { column: 'age_group', kind: 'multiclass' }, out, trees: 15, evaluate: true, folds: 2,
    });
    assert.equal(fit.evaluation?.metrics[0]?.metric, 'accuracy');
    assert.ok((fit.evaluation?.metrics[0]?.test.mean ?? 0) > 0);
    assert.deepEqual((await readModelArtefact(out)).fit.evaluation, fit.evaluation);
    const predictions = join(dir, 'age.arrow');
    await scoreModel({ model: out, features: [features], out: predictions });
    const table = await readArrow(predictions);
    const p = fit.classes.map((c) => column(table, `p_${c}`));
    const chosen = column(table, 'prediction');
    chosen.forEach((label, r) => {
      const row = p.map((col) => col[r]!);
      assert.equal(label, Number(fit.classes[row.indexOf(Math.max(...row))]));
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    });
  });

  it('refuses a model.txt changed after fitting and an output that is an input', async () => {
    const out = join(dir, 'tampered-model');
    await fitModel({ features: [features], targets, idColumn: 'client_id', target: { column: 'gender', kind: 'binary' }, out, trees: 5 });
    await assert.rejects(scoreModel({ model: out, features: [features], out: features }), { name: 'ConfigError', message: /`--out` .*features\.arrow is also an input/ });
    await writeFile(join(out, 'model.txt'), `${await readFile(join(out, 'model.txt'), 'utf8')}\n`);
    await assert.rejects(scoreModel({ model: out, features: [features], out: join(dir, 'x.arrow') }), (e: unknown) => e instanceof DataFormatError && /model\.txt: hashes to .*fit\.json \(changed after fitting\?\)/.test(e.message));
  });
});

describe('meles fit / meles score', () => {
  it('matches columns by name, keeps an id column named `cid` (text ids), exits 2 naming a missing column or an output that is an input', { timeout: 120_000 }, async () => {
    const rng = new Rng(3);
    const n = 300;
    const cid = Array.from({ length: n }, (_, i) => `c${i}`);
    const a = Float32Array.from({ length: n }, () => rng.normal());
    const b = Float32Array.from({ length: n }, () => rng.normal());
    const y = Int32Array.from(a, (x, i) => (x + 0.5 * b[i]! + 0.3 * rng.normal() > 0 ? 1 : 0));
    const fitFeatures = join(dir, 'cid-features.arrow');
    await writeArrowTable(fitFeatures, tableFromColumns({ cid, a, b }));
    const labels = join(dir, 'cid-targets.arrow');
    await writeArrowTable(labels, tableFromColumns({ cid, y }));
    const model = join(dir, 'cid-model');
    const fitRun = await meles('fit', '--features', fitFeatures, '--targets', labels, '--id', 'cid', '--target', 'y:binary', '--out', model, '--trees', '20', '--params', '{"minDataInLeaf": 5}');
    assert.equal(fitRun.code, 0, fitRun.stderr);
    assert.match(fitRun.stdout, /300 clients × 2 features, 20 trees/);

    // The same columns in another order, plus extra columns (one of them text): same predictions.
    const shuffled = join(dir, 'cid-shuffled.arrow');
    // (A copy for `extra`: the same typed array as two columns makes apache-arrow write a corrupt file.)
    await writeArrowTable(shuffled, tableFromColumns({ note: cid.map((c) => `n${c}`), b, cid, extra: Float32Array.from(a), a }));
    const first = join(dir, 'cid-p1.arrow');
    const second = join(dir, 'cid-p2.arrow');
    for (const [input, out] of [[fitFeatures, first], [shuffled, second]] as const) {
      const run = await meles('score', '--model', model, '--features', input, '--out', out);
      assert.equal(run.code, 0, run.stderr);
    }
    const p1 = await readArrow(first);
    const p2 = await readArrow(second);
    assert.deepEqual(p1.schema.fields.map((f) => `${f.name}:${String(f.type)}`), ['cid:Utf8', 'p_1:Float64', 'prediction:Int32']);
    assert.deepEqual(p1.getChild('cid')?.toArray(), cid);
    assert.deepEqual(column(p2, 'p_1'), column(p1, 'p_1'));

    const missing = join(dir, 'cid-missing.arrow');
    await writeArrowTable(missing, tableFromColumns({ cid, a }));
    const bad = await meles('score', '--model', model, '--features', missing, '--out', join(dir, 'cid-p3.arrow'));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /cid-missing\.arrow: feature column `b` not found/);
    const same = await meles('score', '--model', model, '--features', fitFeatures, '--out', fitFeatures);
    assert.equal(same.code, 2);
    assert.match(same.stderr, /is also an input/);
  });
});
