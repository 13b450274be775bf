/** Test support: saves a small model directory for the synthetic schema (data/synthetic). */
import { SYNTHETIC_SCHEMA } from '../../../data/synthetic/generate-transactions.js';
import { Vocabulary } from '../../../data/vocabulary.js';
import { buildEncoderConfig, type EncoderOptions, resolveEncoderOptions } from '../../../encoders/encoder-config.js';
import { SequenceModel } from '../../../encoders/sequence-model.js';
import { saveModelDirectory } from '../../model-files.js';

/**
 * Saves a model with `options` (hidden 6, categorical width 2 unless given) into `dir`.
 * @param seed - seeds the weights. @defaultValue `2`
 */
export async function saveTestModel(dir: string, options: Partial<EncoderOptions>, seed = 2): Promise<void> {
  const vocab = Vocabulary.fromJSON({ tokens: ['0', '1', '2', '3', '4'], counts: [5, 4, 3, 2, 1] }, 'test');
  const config = buildEncoderConfig(resolveEncoderOptions({ hidden: 6, categoricalDim: 2, ...options }), {
    categorical: SYNTHETIC_SCHEMA.categorical.map((name) => ({ name, vocabularySize: vocab.size })),
    numeric: SYNTHETIC_SCHEMA.numeric,
  });
  const model = new SequenceModel(config, seed);
  const vocabularies = Object.fromEntries(SYNTHETIC_SCHEMA.categorical.map((c) => [c, vocab]));
  await saveModelDirectory(dir, { model, vocabularies, schema: SYNTHETIC_SCHEMA, training: {}, backend: 'wasm' });
  model.dispose();
}
