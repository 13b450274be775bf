import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { columnAsStrings, readColumnTable } from '../../data/keyed-table.js';
import { readSchemaMapping } from '../../data/schema-mapping-io.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import { generateTransactions } from '../../data/synthetic/generate-transactions.js';
import { compareFeatureSets } from '../../downstream/evaluation/compare.js';
import { readIncludedEvaluation } from '../../downstream/evaluation/included-evaluation.js';
import { writeAggregateFeatures } from '../../downstream/features/aggregate-features-io.js';
import { resolveTrainingOptions } from '../../training/training-options.js';
import { evaluateSequenceModel, type SequenceModelEvaluationOptions } from './neural-evaluation.js';

let dir: string;
let data: string;
let schema: SchemaMapping;
let features: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meles-neural-eval-'));
  const g = await generateTransactions({ out: join(dir, 'data'), clients: 300, minEvents: 30, maxEvents: 60, seed: 4 });
  data = g.transactionsPath;
  schema = await readSchemaMapping(g.schemaPath);
  features = join(dir, 'features.arrow');
  await writeAggregateFeatures(data, schema, features);
  // The generated labels plus 5 ids that have no events (they must be dropped with a warning).
  const table = await readColumnTable(g.targetsPath, 'client_id');
  const age = columnAsStrings(table, table.names.indexOf('age_group'));
  const gender = columnAsStrings(table, table.names.indexOf('gender'));
  const lines = ['client_id,age_group,gender', ...table.keys.map((k, i) => `${k},${age[i]},${gender[i]}`)];
  for (let i = 0; i < 5; i++) lines.push(`${900000 + i},1,0`);
  await writeFile(join(dir, 'labels.csv'), lines.join('\n'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(out: string): SequenceModelEvaluationOptions {
  return {
    dataPath: data,
    schema,
    targetsPath: join(dir, 'labels.csv'),
    targets: [{ column: 'age_group', kind: 'multiclass' }, { column: 'gender', kind: 'binary' }],
    init: { kind: 'scratch' },
    training: resolveTrainingOptions('test', { method: 'supervised', epochs: 1, batchSize: 32, encoder: { hidden: 8 } }),
    folds: 2,
    labelFraction: 0.5,
    outDir: out,
    backend: 'cpu',
  };
}

describe('evaluateSequenceModel (supervised) end to end', () => {
  it('trains one model per fold and target, scores like LightGBM rows, and joins a comparison with the same splits', async () => {
    const out = join(dir, 'supervised');
    const progress: string[] = [];
    const result = await evaluateSequenceModel({ ...options(out), onProgress: (m) => progress.push(m) });
    assert.deepEqual(progress, ['supervised / age_group: fold 1 of 2', 'supervised / age_group: fold 2 of 2', 'supervised / gender: fold 1 of 2', 'supervised / gender: fold 2 of 2']);
    assert.deepEqual(result.protocol, { folds: 2, testFraction: 0.1, seed: 42, labelFraction: 0.5 });
    assert.ok(result.warnings.some((w) => /target `age_group`: 5 of 305 labelled ids have no events/.test(w)), result.warnings.join('\n'));
    assert.equal(result.splits[0]!.used, 300);
    assert.deepEqual(result.results.map((r) => [r.set, r.target, r.metrics.map((m) => m.metric)]), [
      ['supervised', 'age_group', ['accuracy']],
      ['supervised', 'gender', ['auroc', 'accuracy']],
    ]);
    for (const r of result.results) {
      for (const m of r.metrics) {
        assert.equal(m.foldScores.length, 2);
        assert.equal(m.testScores.length, 2);
        assert.ok([...m.foldScores, ...m.testScores].every((s) => s >= 0 && s <= 1), JSON.stringify(m));
      }
    }
    assert.deepEqual((await readdir(join(out, 'folds'))).sort(), ['age_group', 'gender']);
    await access(join(out, 'folds', 'gender', 'fold-2', 'model.json'));

    // LightGBM rows on hand-crafted features of the same clients: the same fingerprints, so the
    // supervised rows join the table and are t-tested against the baseline fold by fold.
    const included = await readIncludedEvaluation(out);
    const compared = await compareFeatureSets({
      targetsPath: join(dir, 'labels.csv'),
      idColumn: 'client_id',
      targets: options(out).targets,
      featureSets: [{ name: 'handcrafted', paths: [features] }],
      baseline: 'handcrafted',
      folds: 2,
      labelFraction: 0.5,
      numIterations: 10,
      include: [included],
    });
    assert.deepEqual(compared.splits.map((s) => s.fingerprint.sha256), result.splits.map((s) => s.fingerprint.sha256));
    assert.ok(compared.results.some((r) => r.set === 'supervised' && r.target === 'gender'));
    assert.ok(compared.comparisons.some((c) => c.set === 'supervised' && c.target === 'gender' && c.part === 'valid'));
  });

  it('refuses bad input before writing anything: no labelled id in the data, one class only, a bad labelled fraction, a missing schema', async () => {
    const out = join(dir, 'refused');
    await writeFile(join(dir, 'strangers.csv'), ['client_id,gender', ...Array.from({ length: 20 }, (_, i) => `${800000 + i},${i % 2}`)].join('\n'));
    await assert.rejects(evaluateSequenceModel({ ...options(out), targetsPath: join(dir, 'strangers.csv'), targets: [{ column: 'gender', kind: 'binary' }] }), {
      name: 'DataFormatError', message: /strangers\.csv: none of the 20 labelled ids of `gender` is a client of .*transactions\.arrow/,
    });
    // Two classes in the file, but only one among the clients that have events.
    await writeFile(join(dir, 'one-class.csv'), ['client_id,gender', '0,1', '1,1', '2,1', '800000,0'].join('\n'));
    await assert.rejects(evaluateSequenceModel({ ...options(out), targetsPath: join(dir, 'one-class.csv'), targets: [{ column: 'gender', kind: 'binary' }] }), {
      name: 'DataFormatError', message: /target `gender`: fewer than 2 classes remain among the 3 labelled clients with events/,
    });
    for (const labelFraction of [0, 1.5]) {
      await assert.rejects(evaluateSequenceModel({ ...options(out), labelFraction }), { name: 'ConfigError', message: /`labelFraction` to be a number in \(0, 1\]/ });
    }
    const { schema: _dropped, ...noSchema } = options(out);
    await assert.rejects(evaluateSequenceModel(noSchema), { name: 'ConfigError', message: /needs the schema mapping/ });
    await assert.rejects(access(out), { code: 'ENOENT' });
  });
});
