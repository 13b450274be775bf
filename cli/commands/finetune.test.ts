/**
 * `meles train --method supervised` and `meles finetune` end to end in a child process: a model
 * directory with task.json; bad label input (ids missing from the data, one class, NaN labels)
 * exits 2 with one message and writes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readSequences } from '../../data/read-sequences.js';
import { generateTransactions, SYNTHETIC_SCHEMA, type GenerateSummary } from '../../data/synthetic/generate-transactions.js';
import { meles } from '../../data/testing/run-meles.js';
import { initBackend } from '../../encoders/backend.js';
import { finetuneFromFile } from '../../training/labelled/labelled-from-file.js';
import { trainFromFile } from '../../training/train-from-file.js';
import { trainModel } from '../../training/trainer.js';
import { resolveTrainingOptions } from '../../training/training-options.js';

let dir: string;
let generated: GenerateSummary;
let pretrained: string;

describe('meles train --method supervised / meles finetune', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meles-cli-finetune-'));
    generated = await generateTransactions({ out: join(dir, 'data'), clients: 40, minEvents: 10, maxEvents: 25, seed: 5 });
    await initBackend('wasm', { quiet: true });
    const data = await readSequences(generated.transactionsPath, SYNTHETIC_SCHEMA);
    pretrained = join(dir, 'meles');
    await trainModel({
      data: data.sequences, vocabularies: data.vocabularies, schema: SYNTHETIC_SCHEMA, outDir: pretrained, backend: 'wasm',
      options: resolveTrainingOptions('test', { encoder: { hidden: 6, categoricalDim: 2 }, splitter: { kind: 'slices', splitCount: 2, cntMin: 5, cntMax: 15 }, batchSize: 10, epochs: 1, maxBatchesPerEpoch: 1 }),
    });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('trains a supervised model and fine-tunes a MeLES model into model directories with task.json', async () => {
    const common = ['--data', generated.transactionsPath, '--targets', generated.targetsPath, '--target', 'age_group:multiclass', '--epochs', '1', '--max-batches', '2', '--batch-size', '10', '--quiet'];
    const sup = join(dir, 'sup');
    const a = await meles('train', '--method', 'supervised', '--schema', generated.schemaPath, '--hidden', '6', '--out', sup, ...common);
    assert.equal(a.code, 0, a.stderr);
    const ft = join(dir, 'ft');
    const b = await meles('finetune', '--model', pretrained, '--id', 'client_id', '--out', ft, '--freeze-encoder', ...common);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stderr, /head lr 0\.002/);
    const raw = join(dir, 'ft-raw');
    const c = await meles('finetune', '--model', pretrained, '--id', 'client_id', '--out', raw, '--freeze-encoder', '--no-standardize-embedding', ...common);
    assert.equal(c.code, 0, c.stderr);
    // Fine-tuning standardises the embedding by default (the head saves its statistics); from scratch and with the flag it reads the raw embedding.
    const heads = { [sup]: ['head/w', 'head/b'], [ft]: ['head/w', 'head/b', 'head/mean', 'head/std'], [raw]: ['head/w', 'head/b'] };
    for (const [out, names] of Object.entries(heads)) {
      const task = JSON.parse(await readFile(join(out, 'task.json'), 'utf8')) as { column: string; kind: string; classes: string[]; head: { name: string }[] };
      assert.deepEqual({ column: task.column, kind: task.kind }, { column: 'age_group', kind: 'multiclass' });
      assert.ok(task.classes.length >= 2 && existsSync(join(out, 'head.bin')));
      assert.deepEqual(task.head.map((e) => e.name), names, out);
    }
    assert.ok((await readFile(join(ft, 'weights.bin'))).equals(await readFile(join(pretrained, 'weights.bin'))), '--freeze-encoder keeps the encoder');
  });

  it('bad label input (ids missing from the data, one class, NaN) is a DataFormatError before anything is written; the CLI exits 2', async () => {
    const labels = async (name: string, rows: string[]): Promise<string> => {
      const path = join(dir, `${name}.csv`);
      await writeFile(path, ['client_id,y', ...rows, ''].join('\n'));
      return path;
    };
    const cases: [string, string, RegExp][] = [
      ['missing', await labels('missing', ['0,1', '1,0', '9999,1']), /not in the transactions data|9999/],
      ['oneclass', await labels('oneclass', ['0,1', '1,1', '2,1']), /2 classes|one class|found 1/],
      ['nan', await labels('nan', ['0,1', '1,NaN', '2,0']), /NaN/],
    ];
    const target = { column: 'y', kind: 'binary' } as const;
    for (const [name, path, message] of cases) {
      const out = join(dir, `bad-${name}`);
      const labelsOf = { path, target };
      await assert.rejects(
        trainFromFile({ data: generated.transactionsPath, schema: SYNTHETIC_SCHEMA, outDir: out, config: [{ method: 'supervised' }], labels: labelsOf, backend: 'wasm' }),
        { name: 'DataFormatError', message },
      );
      await assert.rejects(finetuneFromFile({ model: pretrained, data: generated.transactionsPath, outDir: out, labels: labelsOf, backend: 'wasm' }), { name: 'DataFormatError', message });
      assert.equal(existsSync(out), false, `${name}: nothing written`);
    }
    await assert.rejects(trainFromFile({ data: generated.transactionsPath, schema: SYNTHETIC_SCHEMA, outDir: join(dir, 'bad-none'), config: [{ method: 'supervised' }] }), {
      name: 'ConfigError',
      message: /needs labels/,
    });
    // Through the CLI: exit 2, the message on stderr, nothing written.
    const out = join(dir, 'bad-cli');
    const train = await meles('train', '--method', 'supervised', '--data', generated.transactionsPath, '--schema', generated.schemaPath, '--targets', cases[2]![1], '--target', 'y:binary', '--out', out, '--quiet');
    assert.equal(train.code, 2, train.stderr);
    assert.match(train.stderr, /NaN/);
    const ft = await meles('finetune', '--model', pretrained, '--data', generated.transactionsPath, '--targets', cases[0]![1], '--target', 'y:binary', '--out', out, '--quiet');
    assert.equal(ft.code, 2, ft.stderr);
    assert.match(ft.stderr, /9999/);
    assert.equal(existsSync(out), false);
  });
});
