import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { readSequences } from '../../data/read-sequences.js';
import { SYNTHETIC_SCHEMA } from '../../data/synthetic/generate-transactions.js';
import { Vocabulary, loadVocabularies, saveVocabularies } from '../../data/vocabulary.js';
import { initBackend } from '../../encoders/backend.js';
import { buildEncoderConfig, resolveEncoderOptions } from '../../encoders/encoder-config.js';
import { SequenceModel } from '../../encoders/sequence-model.js';
import { DataFormatError } from '../../errors.js';
import { saveModelDirectory } from '../../training/model-files.js';
import { hashes, meles } from './hostile-helpers.js';

let root: string;
const n = 30;

/** The synthetic layout with the categoricals as Int32 (`numbers`) or as the same values in Utf8. */
async function transactions(path: string, strings: boolean): Promise<string> {
  const codes = (k: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i % k);
  const category = (k: number): Int32Array | string[] => (strings ? Array.from(codes(k), String) : codes(k));
  await writeArrowTable(
    path,
    tableFromColumns({
      client_id: Int32Array.from({ length: n }, (_, i) => i % 6),
      trans_date: Float64Array.from({ length: n }, (_, i) => i),
      small_group: category(3),
      tr_type: category(2),
      amount_rur: Float32Array.from({ length: n }, (_, i) => i),
    }),
  );
  return path;
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'meles-hostile-vocab-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('vocabulary kind', () => {
  it('vocabularies built from a file record the column kind; files without it still load', async () => {
    const numbers = await readSequences(await transactions(join(root, 'n.arrow'), false), SYNTHETIC_SCHEMA);
    const strings = await readSequences(await transactions(join(root, 's.arrow'), true), SYNTHETIC_SCHEMA);
    assert.equal(numbers.vocabularies.small_group!.kind, 'number');
    assert.equal(strings.vocabularies.small_group!.kind, 'string');
    const path = join(root, 'vocab.json');
    await saveVocabularies(path, numbers.vocabularies);
    assert.match(await readFile(path, 'utf8'), /"small_group":\{"kind":"number","tokens":/);
    const legacy = Vocabulary.fromJSON({ tokens: ['0', '1'], counts: [2, 1] }, 'legacy');
    assert.equal(legacy.kind, undefined);
    // A legacy (kind-less) vocabulary applies to either kind, as before.
    await readSequences(join(root, 's.arrow'), SYNTHETIC_SCHEMA, { vocabularies: { small_group: legacy, tr_type: legacy } });
    assert.equal((await loadVocabularies(path)).tr_type!.kind, 'number');
  });

  it('a model trained on Int32 categories refuses a file with string categories (was: every value silently <unk>)', async () => {
    await initBackend('wasm', { quiet: true });
    const built = await readSequences(await transactions(join(root, 'train.arrow'), false), SYNTHETIC_SCHEMA);
    const config = buildEncoderConfig(resolveEncoderOptions({ hidden: 4, categoricalDim: 2 }), {
      categorical: SYNTHETIC_SCHEMA.categorical.map((name) => ({ name, vocabularySize: built.vocabularies[name]!.size })),
      numeric: SYNTHETIC_SCHEMA.numeric,
    });
    const model = new SequenceModel(config, 1);
    const dir = join(root, 'model');
    await saveModelDirectory(dir, { model, vocabularies: built.vocabularies, schema: SYNTHETIC_SCHEMA, training: {}, backend: 'wasm' });
    model.dispose();
    const data = await transactions(join(root, 'strings.arrow'), true);
    const before = await hashes(data, join(dir, 'vocabularies.json'));
    const out = join(root, 'emb.arrow');
    const run = await meles(['embed', '--model', dir, '--data', data, '--out', out, '--backend', 'wasm', '--quiet']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /strings\.arrow: categorical column `small_group`: the model's vocabulary was built from number values, but the file has string values \(Utf8\)/);
    assert.equal(await exists(out), false);
    assert.deepEqual(await hashes(data, join(dir, 'vocabularies.json')), before);
    await assert.rejects(readSequences(data, SYNTHETIC_SCHEMA, { vocabularies: built.vocabularies }), DataFormatError);
  });
});
