/**
 * The demo's control row: an encoder with the trained model's exact architecture and vocabularies
 * but freshly initialised weights, embedding the same clients. What MeLES adds is the difference.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '../encoders/backend.js';
import { SequenceModel } from '../encoders/sequence-model.js';
import { embedFile } from '../training/embed-file.js';
import { loadModelDirectory, saveModelDirectory } from '../training/model-files.js';

/** The control's embeddings and what they were made with. */
export interface RandomEncoderEmbeddings {
  /** `<outDir>/embeddings.arrow`. */
  readonly embeddings: string;
  readonly backend: string;
  /** Embedding width (the trained model's). */
  readonly width: number;
}

/** Saves an untrained copy of `trainedDir`'s architecture in `<outDir>/model` and embeds `data` with it. */
export async function embedWithRandomEncoder(trainedDir: string, data: string, outDir: string, seed: number): Promise<RandomEncoderEmbeddings> {
  const backend = await initBackend('auto');
  const trained = await loadModelDirectory(trainedDir);
  const untrained = new SequenceModel(trained.model.config, seed);
  trained.model.dispose();
  const modelDir = join(outDir, 'model');
  try {
    await rm(modelDir, { recursive: true, force: true });
    await saveModelDirectory(modelDir, {
      model: untrained,
      vocabularies: trained.vocabularies,
      schema: trained.schema,
      training: { untrained: true, seed, architectureFrom: trainedDir },
      backend,
    });
  } finally {
    untrained.dispose();
  }
  const embeddings = join(outDir, 'embeddings.arrow');
  const result = await embedFile({ model: modelDir, data, out: embeddings });
  return { embeddings, backend: result.backend, width: result.width };
}
