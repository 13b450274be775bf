/**
 * Class probabilities from a supervised or fine-tuned model directory: each client is encoded
 * from its last `maxEvents` events (as `meles embed`), then the head. Clients are batched in the
 * order given, so the output rows follow `clients`.
 */
import * as tf from '@tensorflow/tfjs';
import type { SequenceSet } from '../../data/sequence-set.js';
import { initBackend } from '../../encoders/backend.js';
import { DataFormatError } from '../../errors.js';
import { expectInteger } from '../../options.js';
import { collateTails } from '../../sampling/collate.js';
import { loadLabelledModel } from './labelled-model.js';

/**
 * binary: P(class index 1) per client; multiclass: row-major [clients × classes] probabilities (the
 * layout of LightGBM's Booster.predict). `data` must be coded with the model's vocabularies.
 * @param options.maxEvents - encode each client's last N events @defaultValue `2000`
 * @param options.batchSize - clients per forward pass @defaultValue `256`
 */
export async function predictLabelled(
  modelDir: string,
  data: SequenceSet,
  clients: Int32Array,
  options: { maxEvents?: number; batchSize?: number } = {},
): Promise<Float64Array> {
  const maxEvents = expectInteger('maxEvents', options.maxEvents ?? 2000, 1);
  const batchSize = expectInteger('batchSize', options.batchSize ?? 256, 1);
  await initBackend('auto');
  const loaded = await loadLabelledModel(modelDir);
  try {
    const width = loaded.task.kind === 'binary' ? 1 : loaded.task.classes.length;
    const out = new Float64Array(clients.length * width);
    for (let start = 0; start < clients.length; start += batchSize) {
      const part = clients.subarray(start, start + batchSize);
      const batch = collateTails(data, part, maxEvents);
      const packed = loaded.model.pack(batch);
      const probabilities = tf.tidy(() => loaded.head.probabilities(loaded.model.forward(packed, { training: false })));
      const values = (await probabilities.data()) as Float32Array;
      probabilities.dispose();
      for (let i = 0; i < values.length; i++) {
        if (!Number.isFinite(values[i]!)) throw new DataFormatError(`${modelDir}: non-finite probability for client index ${part[Math.floor(i / width)]}; the model's weights are damaged`);
        out[start * width + i] = values[i]!;
      }
    }
    return out;
  } finally {
    loaded.dispose();
  }
}
