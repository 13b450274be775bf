import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../data/random.js';
import { Vocabulary } from '../data/vocabulary.js';
import { initBackend } from '../encoders/backend.js';
import { buildEncoderConfig, resolveEncoderOptions } from '../encoders/encoder-config.js';
import { SequenceModel } from '../encoders/sequence-model.js';
import { loadModelDirectory, saveModelDirectory } from './model-files.js';

let root: string;

function batchJson(): { json: string; batch: Parameters<SequenceModel['embed']>[0] } {
  const rng = new Rng(4);
  const lengths = [7, 3, 12, 1];
  const stride = 12;
  const cat = new Int32Array(lengths.length * stride);
  const num = new Float32Array(lengths.length * stride);
  lengths.forEach((len, b) => {
    for (let t = 0; t < len; t++) {
      cat[b * stride + t] = rng.int(1, 5);
      num[b * stride + t] = rng.normal();
    }
  });
  const batch = { size: lengths.length, maxLength: stride, lengths: Int32Array.from(lengths), categorical: { mcc: cat }, numeric: { amount: num } };
  const json = JSON.stringify({ size: batch.size, maxLength: stride, lengths, categorical: { mcc: Array.from(cat) }, numeric: { amount: Array.from(num) } });
  return { json, batch };
}

describe('model directory', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-model-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  for (const encoder of ['gru', 'transformer'] as const) {
    it(`${encoder}: a fresh process (same and other backend) reproduces the embeddings`, async () => {
      const config = buildEncoderConfig(resolveEncoderOptions({ encoder, hidden: 8, heads: 2, categoricalDim: 3, layers: 2 }), {
        categorical: [{ name: 'mcc', vocabularySize: 7 }],
        numeric: ['amount'],
      });
      const model = new SequenceModel(config, 11);
      const dir = join(root, encoder);
      await saveModelDirectory(dir, {
        model,
        vocabularies: { mcc: Vocabulary.fromJSON({ tokens: ['a', 'b', 'c', 'd', 'e'], counts: [5, 4, 3, 2, 1] }, 'test') },
        schema: { id: 'client', time: 'day', categorical: ['mcc'], numeric: ['amount'] },
        training: { note: 'test' },
        backend: 'wasm',
      });
      const { json, batch } = batchJson();
      const expectedTensor = model.embed(batch);
      const expected = Array.from(expectedTensor.dataSync());
      expectedTensor.dispose();
      model.dispose();

      const child = (backend: string): number[] =>
        JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'testing', 'embed-child.ts'), dir, json, backend], { encoding: 'utf8' })) as number[];
      assert.deepEqual(child('wasm'), expected, 'identical embeddings in a new process on the same backend');
      const onCpu = child('cpu');
      onCpu.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-4, `cpu ${v} vs wasm ${expected[i]}`));

      const loaded = await loadModelDirectory(dir);
      assert.deepEqual(loaded.model.config, config);
      assert.deepEqual(loaded.training, { note: 'test' });
      loaded.model.dispose();
    });
  }

  it('names the file when weights are truncated or the format version is unknown', async () => {
    const config = buildEncoderConfig(resolveEncoderOptions({ hidden: 4 }), { categorical: [], numeric: ['amount'] });
    const model = new SequenceModel(config, 1);
    const dir = join(root, 'broken');
    await saveModelDirectory(dir, { model, vocabularies: {}, schema: { id: 'c', time: 't', categorical: [], numeric: ['amount'] }, training: {}, backend: 'wasm' });
    model.dispose();
    await writeFile(join(dir, 'weights.bin'), new Uint8Array(10));
    await assert.rejects(loadModelDirectory(dir), /weights\.bin: checksum mismatch \(expected sha256 [0-9a-f]{64}, found [0-9a-f]{64}\): the model file is damaged/);
    // A model saved before checksums existed: no verification, the tensor reader still names the file.
    const meta = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
    delete meta.checksums;
    await writeFile(join(dir, 'model.json'), JSON.stringify(meta));
    await assert.rejects(loadModelDirectory(dir), /weights\.bin.*needs bytes/);
    await writeFile(join(dir, 'model.json'), JSON.stringify({ formatVersion: 99 }));
    await assert.rejects(loadModelDirectory(dir), /model\.json.*formatVersion/);
    await assert.rejects(loadModelDirectory(join(root, 'missing')), /cannot read model description/);
  });
});
