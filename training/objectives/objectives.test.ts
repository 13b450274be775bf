/**
 * The objectives through the common trainer: CPC trains (loss falls) and its heads are
 * checkpointed and restored (interrupted + resumed = uninterrupted); CosFace's class weights are
 * trained and survive --resume; option resolution refuses what a method cannot train.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSequences, type ReadSequencesResult } from '../../data/read-sequences.js';
import { readTensorFile } from '../../data/tensor-file.js';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../../data/synthetic/generate-transactions.js';
import { initBackend } from '../../encoders/backend.js';
import { CosFaceLoss } from '../../metric/losses/cosface-loss.js';
import { checkpointDir } from '../checkpoint.js';
import { readJson } from '../model-files.js';
import { trainModel, type TrainModelOptions } from '../trainer.js';
import { resolveTrainingOptions, type TrainingConfigInput } from '../training-options.js';

let root: string;
let data: ReadSequencesResult;

const BASE: TrainingConfigInput = {
  encoder: { hidden: 8, categoricalDim: 3 },
  splitter: { kind: 'slices', splitCount: 3, cntMin: 8, cntMax: 25 },
  validationSplitter: { kind: 'slices', splitCount: 3, cntMin: 8, cntMax: 25 },
  batchSize: 12,
  learningRate: 0.01,
  validationShare: 0,
  schedule: { kind: 'constant' },
  seed: 4,
};

function run(outDir: string, overrides: TrainingConfigInput, extra: Partial<TrainModelOptions> = {}): ReturnType<typeof trainModel> {
  const options = resolveTrainingOptions('test', BASE, overrides);
  return trainModel({ data: data.sequences, vocabularies: data.vocabularies, schema: SYNTHETIC_SCHEMA, outDir, options, backend: 'wasm', ...extra });
}

async function checkpointWeights(dir: string): Promise<Map<string, Float32Array>> {
  const state = (await readJson(join(checkpointDir(dir), 'state.json'), 'state')) as { weights: unknown };
  return readTensorFile(join(checkpointDir(dir), 'weights.bin'), state.weights);
}

/** Trains `a` straight through and `c` stopped after batch 1 then resumed; both must end equal. */
async function interruptedEqualsUninterrupted(name: string, settings: TrainingConfigInput): Promise<void> {
  await run(join(root, `${name}-a`), settings);
  const controller = new AbortController();
  const stopped = await run(join(root, `${name}-c`), settings, { signal: controller.signal, onProgress: (p) => p.epoch === 0 && p.batch === 1 && controller.abort() });
  assert.equal(stopped.aborted, true);
  await run(join(root, `${name}-c`), settings, { resume: true });
  for (const file of ['weights.bin', 'checkpoint/weights.bin']) {
    assert.ok((await readFile(join(root, `${name}-a`, file))).equals(await readFile(join(root, `${name}-c`, file))), `${name} ${file}: resumed equals uninterrupted`);
  }
}

describe('training objectives', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-objectives-'));
    const generated = await generateTransactions({ out: join(root, 'data'), clients: 48, minEvents: 15, maxEvents: 40, seed: 8 });
    data = await readSequences(generated.transactionsPath, SYNTHETIC_SCHEMA);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('cpc: trains through the trainer (loss falls), heads checkpointed and restored on --resume, not in the model directory', async () => {
    const cpc: TrainingConfigInput = { method: 'cpc', cpc: { steps: 3, negatives: 10 } };
    const result = await run(join(root, 'cpc'), { ...cpc, epochs: 4 });
    const losses = result.epochs.map((e) => e.loss);
    assert.ok(losses.at(-1)! < 0.95 * losses[0]!, `loss falls: ${losses.map((l) => l.toFixed(3)).join(' → ')}`);
    const saved = await checkpointWeights(join(root, 'cpc'));
    assert.deepEqual([...saved.keys()].filter((k) => k.startsWith('cpc/')), ['cpc/head1/w', 'cpc/head1/b', 'cpc/head2/w', 'cpc/head2/b', 'cpc/head3/w', 'cpc/head3/b']);
    const model = (await readJson(join(root, 'cpc', 'model.json'), 'model')) as { weights: { name: string }[] };
    assert.ok(model.weights.every((w) => !w.name.startsWith('cpc/')));
    await interruptedEqualsUninterrupted('cpc', { ...cpc, epochs: 2, maxBatchesPerEpoch: 3 });
  });

  it('cosface: the class weights are trained, checkpointed and survive --resume', async () => {
    const cosface: TrainingConfigInput = { loss: { kind: 'cosface', numClasses: 12, embeddingSize: 8 }, miner: null };
    await run(join(root, 'cos'), { ...cosface, epochs: 1, maxBatchesPerEpoch: 2 });
    const initial = new CosFaceLoss({ numClasses: 12, embeddingSize: 8 });
    const start = initial.weights.dataSync() as Float32Array;
    const trained = (await checkpointWeights(join(root, 'cos'))).get('loss/cosface/0')!;
    initial.dispose();
    assert.equal(trained.length, start.length);
    assert.ok(trained.some((v, i) => v !== start[i]), 'class weights changed');
    await interruptedEqualsUninterrupted('cos', { ...cosface, epochs: 2, maxBatchesPerEpoch: 3 });
  });

  it('option resolution refuses what a method cannot train', () => {
    assert.throws(() => resolveTrainingOptions('t', { method: 'cpc', encoder: { encoder: 'transformer' } }), { name: 'ConfigError', message: /'cpc' needs `encoder.encoder` 'gru' or 'lstm'/ });
    assert.throws(() => resolveTrainingOptions('t', { method: 'cpc', encoder: { bidirectional: true } }), { name: 'ConfigError', message: /unidirectional/ });
    assert.throws(() => resolveTrainingOptions('t', { method: 'supervised', splitter: { kind: 'split-random' } }), { name: 'ConfigError', message: /'none', 'slices' or 'random'/ });
    assert.throws(() => resolveTrainingOptions('t', { loss: { kind: 'cosface', numClasses: 4, embeddingSize: 8 }, miner: null, batchSize: 8 }), { name: 'ConfigError', message: /numClasses/ });
    assert.throws(() => resolveTrainingOptions('t', { method: 'bert' }), { name: 'ConfigError', message: /`method`/ });
    assert.equal(resolveTrainingOptions('t', {}).method, 'meles');
  });
});
