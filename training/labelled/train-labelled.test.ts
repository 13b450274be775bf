/**
 * Supervised training and fine-tuning through the common trainer: the loss falls on generated
 * data; predictions have the documented layout; fine-tuning runs the encoder at the smaller
 * learning rate (Adam groups, and the encoder moves less than the head); a frozen encoder stays
 * bit-identical; resume continues exactly; the head's input standardisation is measured on the
 * training clients, saved and applied when predicting.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { after, before, describe, it } from 'node:test';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTargets } from '../../data/label-file.js';
import { readSequences, type ReadSequencesResult } from '../../data/read-sequences.js';
import { readTensorFile } from '../../data/tensor-file.js';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../../data/synthetic/generate-transactions.js';
import { initBackend } from '../../encoders/backend.js';
import { collateTails } from '../../sampling/collate.js';
import { loadModelDirectory, readJson } from '../model-files.js';
import { mixSeed } from '../seeds.js';
import { trainModel } from '../trainer.js';
import { resolveTrainingOptions, type TrainingConfigInput } from '../training-options.js';
import { labelledClients, type LabelledClients } from './label-clients.js';
import { embeddingStandardization, LabelledHead } from './labelled-head.js';
import { predictLabelled } from './predict-labelled.js';
import { STANDARDIZATION_MAX_EVENTS, trainLabelled, type TrainLabelledInput } from './train-labelled.js';

let root: string;
let data: ReadSequencesResult;
let gender: LabelledClients;
let age: LabelledClients;
let pretrained: string;

const ENCODER = { hidden: 12, categoricalDim: 4 };

function options(overrides: TrainingConfigInput = {}): ReturnType<typeof resolveTrainingOptions> {
  return resolveTrainingOptions('test', { method: 'supervised', encoder: ENCODER, splitter: { kind: 'slices', cntMin: 15, cntMax: 40 }, batchSize: 16, learningRate: 0.01, schedule: { kind: 'constant' }, seed: 7, ...overrides });
}

function run(outDir: string, labelled: LabelledClients, extra: Partial<TrainLabelledInput> = {}, overrides: TrainingConfigInput = {}): ReturnType<typeof trainLabelled> {
  return trainLabelled({ data: data.sequences, vocabularies: data.vocabularies, schema: SYNTHETIC_SCHEMA, ...labelled, init: { kind: 'scratch' }, options: options(overrides), outDir, backend: 'wasm', ...extra });
}

/** Weights of a model directory's file (`weights.bin` or `head.bin`) by name. */
async function weightsOf(dir: string, file: 'weights.bin' | 'head.bin'): Promise<Map<string, Float32Array>> {
  const manifest = file === 'weights.bin' ? ((await readJson(join(dir, 'model.json'), 'model')) as { weights: unknown }).weights : ((await readJson(join(dir, 'task.json'), 'task')) as { head: unknown }).head;
  return readTensorFile(join(dir, file), manifest);
}

function meanAbsChange(a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>, keep: (name: string) => boolean): number {
  let sum = 0;
  let n = 0;
  for (const [name, values] of a) {
    if (!keep(name)) continue;
    const other = b.get(name)!;
    for (let i = 0; i < values.length; i++) sum += Math.abs(values[i]! - other[i]!);
    n += values.length;
  }
  return sum / n;
}

describe('trainLabelled / predictLabelled', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-labelled-'));
    const generated = await generateTransactions({ out: join(root, 'data'), clients: 64, minEvents: 20, maxEvents: 40, seed: 11 });
    data = await readSequences(generated.transactionsPath, SYNTHETIC_SCHEMA);
    const { targets } = await readTargets(generated.targetsPath, 'client_id', [{ column: 'gender', kind: 'binary' }, { column: 'age_group', kind: 'multiclass' }]);
    gender = labelledClients(data.sequences, targets[0]!, 'targets');
    age = labelledClients(data.sequences, targets[1]!, 'targets');
    pretrained = join(root, 'meles');
    await trainModel({
      data: data.sequences, vocabularies: data.vocabularies, schema: SYNTHETIC_SCHEMA, outDir: pretrained, backend: 'wasm',
      options: resolveTrainingOptions('test', { encoder: ENCODER, splitter: { kind: 'slices', splitCount: 3, cntMin: 10, cntMax: 30 }, batchSize: 16, epochs: 1, maxBatchesPerEpoch: 2, seed: 3 }),
    });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('supervised from scratch: the loss falls (binary and multiclass); predictions follow LightGBM\'s layout', async () => {
    for (const [name, labelled] of [['gender', gender], ['age', age]] as const) {
      const dir = join(root, `sup-${name}`);
      const result = await run(dir, labelled, {}, { epochs: 5, splitter: { kind: 'none' }, learningRate: 0.02 });
      const losses = result.epochs.map((e) => e.loss);
      assert.ok(losses.at(-1)! < 0.8 * losses[0]!, `${name}: loss falls ${losses.map((l) => l.toFixed(3)).join(' → ')}`);
      assert.deepEqual(result.learningRates, [{ name: 'all', learningRate: 0.02, parameters: result.learningRates[0]!.parameters }]);
      const task = (await readJson(join(dir, 'task.json'), 'task')) as { column: string; kind: string; classes: string[] };
      assert.equal(task.column, labelled.task.column);
      assert.deepEqual(task.classes, labelled.task.classes);
      const clients = Int32Array.from([0, 5, 9]);
      const p = await predictLabelled(dir, data.sequences, clients, { batchSize: 2 });
      const k = labelled.task.kind === 'binary' ? 1 : labelled.task.classes.length;
      assert.equal(p.length, clients.length * k);
      assert.ok(p.every((v) => v >= 0 && v <= 1));
      if (k > 1) for (let r = 0; r < clients.length; r++) assert.ok(Math.abs(p.subarray(r * k, (r + 1) * k).reduce((a, b) => a + b, 0) - 1) < 1e-5);
      // Same predictions in another batch order.
      const again = await predictLabelled(dir, data.sequences, Int32Array.from([9, 0]));
      assert.ok(Math.abs(again[0]! - p[2 * k]!) < 1e-6 && Math.abs(again[k]! - p[0]!) < 1e-6);
    }
  });

  it('fine-tuning: the encoder runs at the smaller learning rate and moves less than the head', async () => {
    const dir = join(root, 'ft');
    const result = await run(dir, gender, { init: { kind: 'pretrained', modelDir: pretrained } }, { epochs: 1, maxBatchesPerEpoch: 3 });
    const rates = Object.fromEntries(result.learningRates.map((g) => [g.name, g.learningRate]));
    assert.ok(Math.abs(rates.encoder! - 1e-4) < 1e-12 && rates.head === 2e-3, JSON.stringify(result.learningRates));
    assert.equal(result.options.learningRate, 2e-3);
    const before = await weightsOf(pretrained, 'weights.bin');
    const after = await weightsOf(dir, 'weights.bin');
    const encoderMove = meanAbsChange(after, before, (name) => !name.includes('running'));
    const initialHead = new LabelledHead(result.embeddingWidth, 'binary', 2, mixSeed(7, -3, 0));
    const headBefore = new Map(initialHead.parameters().map((p) => [p.name, p.variable.dataSync() as Float32Array]));
    initialHead.dispose();
    // The saved head also holds the (untrained) standardisation statistics; compare the trained weights.
    const headMove = meanAbsChange(await weightsOf(dir, 'head.bin'), headBefore, (name) => headBefore.has(name));
    assert.ok(encoderMove > 0, 'the encoder trains');
    assert.ok(encoderMove < headMove / 5, `encoder moves ${encoderMove.toExponential(2)}, head ${headMove.toExponential(2)}`);
  });

  it('--freeze-encoder leaves the encoder bit-identical and out of the optimizer; resume equals an uninterrupted run', async () => {
    const dir = join(root, 'frozen');
    const result = await run(dir, age, { init: { kind: 'pretrained', modelDir: pretrained }, finetune: { freezeEncoder: true } }, { epochs: 2, maxBatchesPerEpoch: 2 });
    assert.deepEqual(result.learningRates.map((g) => g.name), ['head']);
    assert.ok((await readFile(join(dir, 'weights.bin'))).equals(await readFile(join(pretrained, 'weights.bin'))), 'encoder weights bit-identical');
    const losses = result.epochs.map((e) => e.loss);
    assert.ok(losses.every(Number.isFinite));

    const settings = { epochs: 2, maxBatchesPerEpoch: 3 };
    const ft = { init: { kind: 'pretrained', modelDir: pretrained } } as const;
    await run(join(root, 'ra'), gender, ft, settings);
    const controller = new AbortController();
    const stopped = await run(join(root, 'rc'), gender, { ...ft, signal: controller.signal, onProgress: (p) => p.epoch === 0 && p.batch === 1 && controller.abort() }, settings);
    assert.equal(stopped.aborted, true);
    await run(join(root, 'rc'), gender, { ...ft, resume: true }, settings);
    for (const file of ['weights.bin', 'head.bin']) {
      assert.ok((await readFile(join(root, 'ra', file))).equals(await readFile(join(root, 'rc', file))), `${file}: resumed equals uninterrupted`);
    }
    await assert.rejects(run(join(root, 'rc'), gender, { ...ft, resume: true, finetune: { headLearningRate: 0.01 } }, settings), /different options|different task/);
  });

  it('standardizeEmbedding: the head saves the mean and std of the pretrained embeddings of the training clients, and predictions apply them', async () => {
    const settings = { epochs: 1, maxBatchesPerEpoch: 2 };
    const ft = { init: { kind: 'pretrained', modelDir: pretrained } } as const;
    const dir = join(root, 'std');
    await run(dir, age, { ...ft, finetune: { freezeEncoder: true } }, settings);
    const head = await weightsOf(dir, 'head.bin');
    const before = tf.memory().numTensors;
    const loaded = await loadModelDirectory(pretrained);
    const embedded = loaded.model.embed(collateTails(data.sequences, age.clients, STANDARDIZATION_MAX_EVENTS));
    const values = (await embedded.data()) as Float32Array;
    embedded.dispose();
    loaded.model.dispose();
    const width = loaded.model.width;
    const expected = embeddingStandardization(values, width);
    // Within float32 rounding: training embeds the clients in batches, this test all at once, and
    // OpenBLAS may round a row differently by how many rows one product holds (seen: 0.0194264445
    // against 0.0194264483 with Haswell kernels on an AMD EPYC).
    const close = (name: string, actual: Float32Array, wanted: Float32Array): void => {
      assert.equal(actual.length, wanted.length, name);
      actual.forEach((v, i) => assert.ok(Math.abs(v - wanted[i]!) <= 1e-6 * Math.max(1, Math.abs(wanted[i]!)), `${name}[${i}]: ${v} vs ${wanted[i]}`));
    };
    close('head/mean', head.get('head/mean')!, expected.mean);
    close('head/std', head.get('head/std')!, expected.std);
    // A standardised component has mean 0 and std 1 over the training clients.
    const j = 1;
    const z = Array.from(age.clients, (_, r) => (values[r * width + j]! - expected.mean[j]!) / expected.std[j]!);
    assert.ok(Math.abs(z.reduce((a, b) => a + b, 0) / z.length) < 1e-4);
    // Frozen encoder: predictions are softmax(((x - mean) / std) W + b) of the pretrained embedding.
    const rows = age.clients.subarray(0, 3);
    const p = await predictLabelled(dir, data.sequences, rows);
    const w = head.get('head/w')!;
    const b = head.get('head/b')!;
    const k = age.task.classes.length;
    for (let r = 0; r < rows.length; r++) {
      const logits = Array.from({ length: k }, (_, c) => b[c]! + Array.from({ length: width }, (_, i) => ((values[r * width + i]! - expected.mean[i]!) / expected.std[i]!) * w[i * k + c]!).reduce((s, v) => s + v, 0));
      const top = Math.max(...logits);
      const exps = logits.map((l) => Math.exp(l - top));
      const total = exps.reduce((s, v) => s + v, 0);
      exps.forEach((e, c) => assert.ok(Math.abs(e / total - p[r * k + c]!) < 1e-4, `client ${r} class ${c}: ${e / total} vs ${p[r * k + c]}`));
    }
    assert.equal(tf.memory().numTensors, before);
    // Off: the head reads the raw embedding and saves no statistics.
    await run(join(root, 'raw'), age, { ...ft, finetune: { freezeEncoder: true, standardizeEmbedding: false } }, settings);
    assert.deepEqual([...(await weightsOf(join(root, 'raw'), 'head.bin')).keys()], ['head/w', 'head/b']);
    await assert.rejects(run(join(root, 'bad-std'), age, { ...ft, finetune: { standardizeEmbedding: 'yes' as unknown as boolean } }, settings), /standardizeEmbedding/);
  });

  it('embeddingStandardization: population mean and std per component; a constant component is only centred', () => {
    const s = embeddingStandardization(Float32Array.from([1, 5, 3, 5, 5, 5]), 2);
    assert.deepEqual([...s.mean], [3, 5]);
    assert.ok(Math.abs(s.std[0]! - Math.sqrt(8 / 3)) < 1e-6);
    assert.equal(s.std[1], 1);
    assert.throws(() => embeddingStandardization(Float32Array.from([1, 2, 3]), 2), /whole number/);
  });

  it('refuses bad label input before writing anything', async () => {
    const dir = join(root, 'bad');
    await assert.rejects(run(dir, { ...gender, labels: new Int32Array(gender.labels.length) }), { name: 'DataFormatError', message: /all have class `0`/ });
    await assert.rejects(run(dir, { ...gender, labels: gender.labels.subarray(1) }), { name: 'DataFormatError', message: /one label per training client/ });
    await assert.rejects(run(dir, gender, {}, { method: 'meles' }), { name: 'ConfigError' });
    await assert.rejects(readFile(join(dir, 'model.json')), { code: 'ENOENT' });
  });
});
