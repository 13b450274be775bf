/**
 * The last check before embeddings leave the process: a NaN or ±Infinity is never written as an
 * output value. Non-finite embeddings come from damaged weights (a model saved before checksums
 * existed) or a diverged training run; either way the model is at fault, so the error names it.
 */
import { DataFormatError } from '../errors.js';

/**
 * Throws unless every value of a batch of embeddings (`width` per row) is finite.
 * @param rowLabel - describes row r for the message, e.g. the client id.
 * @throws DataFormatError `<model>: the model produced a non-finite embedding (NaN) for client 17 …`.
 */
export function expectFiniteEmbeddings(values: Float32Array, width: number, model: string, rowLabel: (row: number) => string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      const row = Math.floor(i / width);
      throw new DataFormatError(
        `${model}: the model produced a non-finite embedding (${v}) for ${rowLabel(row)} at dimension ${i - row * width}; ` +
          'expected finite values: the model weights are damaged or training diverged, retrain or restore the model',
      );
    }
  }
}
