import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../../data/synthetic/generate-transactions.js';
import { Vocabulary } from '../../data/vocabulary.js';
import { initBackend } from '../../encoders/backend.js';
import { buildEncoderConfig, resolveEncoderOptions } from '../../encoders/encoder-config.js';
import { SequenceModel } from '../../encoders/sequence-model.js';
import { DataFormatError } from '../../errors.js';
import { embedFile } from '../../training/embed-file.js';
import { saveModelDirectory } from '../../training/model-files.js';
import { damagedCopy, hashes, meles } from './hostile-helpers.js';

let root: string;
let data: string;

/** Saves a small model for the synthetic schema into `dir`. */
async function saveModel(dir: string): Promise<void> {
  const vocab = Vocabulary.fromJSON({ tokens: ['0', '1', '2'], counts: [3, 2, 1] }, 'test');
  const config = buildEncoderConfig(resolveEncoderOptions({ hidden: 6, categoricalDim: 2 }), {
    categorical: SYNTHETIC_SCHEMA.categorical.map((name) => ({ name, vocabularySize: vocab.size })),
    numeric: SYNTHETIC_SCHEMA.numeric,
  });
  const model = new SequenceModel(config, 2);
  const vocabularies = Object.fromEntries(SYNTHETIC_SCHEMA.categorical.map((c) => [c, vocab]));
  await saveModelDirectory(dir, { model, vocabularies, schema: SYNTHETIC_SCHEMA, training: {}, backend: 'wasm' });
  model.dispose();
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

describe('corrupt model directories', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-hostile-model-'));
    data = (await generateTransactions({ out: join(root, 'data'), clients: 20, minEvents: 5, maxEvents: 20, seed: 3 })).transactionsPath;
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('a damaged weights.bin is a checksum mismatch naming the file (exit 2), no output, inputs unchanged', async () => {
    const dir = join(root, 'damaged');
    await saveModel(dir);
    const weights = join(dir, 'weights.bin');
    // Four bytes of one float32 set to 0xFF: a NaN weight, which used to give NaN embeddings and exit 0.
    await damagedCopy(weights, weights, 16, [0xff, 0xff, 0xff, 0xff]);
    const inputs = [data, weights, join(dir, 'model.json'), join(dir, 'vocabularies.json')];
    const before = await hashes(...inputs);
    const out = join(root, 'damaged.arrow');
    const run = await meles(['embed', '--model', dir, '--data', data, '--out', out, '--backend', 'wasm', '--quiet']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /damaged\/weights\.bin: checksum mismatch \(expected sha256 [0-9a-f]{64}, found [0-9a-f]{64}\): the model file is damaged/);
    assert.equal(await exists(out), false, 'no output file');
    assert.deepEqual(await hashes(...inputs), before, 'inputs unchanged');
  });

  it('a damaged vocabularies.json is a checksum mismatch too', async () => {
    const dir = join(root, 'vocab');
    await saveModel(dir);
    const path = join(dir, 'vocabularies.json');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"0"', '"9"'));
    await assert.rejects(embedFile({ model: dir, data, out: join(root, 'vocab.arrow'), backend: 'wasm' }), (e: unknown) =>
      e instanceof DataFormatError && /vocabularies\.json: checksum mismatch/.test(e.message));
  });

  it('a model saved before checksums loads; if its weights give NaN, embed fails naming the model instead of writing NaN', async () => {
    const dir = join(root, 'legacy');
    await saveModel(dir);
    const meta = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
    delete meta.checksums;
    await writeFile(join(dir, 'model.json'), JSON.stringify(meta));
    const ok = await embedFile({ model: dir, data, out: join(root, 'legacy-ok.arrow'), backend: 'wasm' });
    assert.equal(ok.clients, 20, 'a legacy model without checksums still embeds');
    // NaN into every weight: no checksum to catch it, so the output check must.
    const weights = join(dir, 'weights.bin');
    const nan = Buffer.alloc((await readFile(weights)).length);
    for (let i = 0; i + 4 <= nan.length; i += 4) nan.writeFloatLE(Number.NaN, i);
    await writeFile(weights, nan);
    const out = join(root, 'legacy-nan.arrow');
    const run = await meles(['embed', '--model', dir, '--data', data, '--out', out, '--backend', 'wasm', '--quiet']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /legacy: the model produced a non-finite embedding \(NaN\) for client \S+ at dimension 0/);
    assert.equal(await exists(out), false, 'no output file');
  });
});
