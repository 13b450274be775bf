/**
 * What the train-step benchmarks (`bench-train.ts`, `bench-threads.ts`) share: the reference batch
 * of `scripts/torch_meles_step.py`, the model, Adam and contrastive loss a step trains, the
 * benchmarks' `--name value` flags and the median. One copy, so both benchmarks measure the same
 * step on the same data as the PyTorch script.
 */
import type * as tf from '@tensorflow/tfjs';
import { Rng } from '../data/random.js';
import { buildEncoderConfig, type EncoderKind, resolveEncoderOptions } from '../encoders/encoder-config.js';
import type { EventBatch } from '../encoders/packed-batch.js';
import { SequenceModel } from '../encoders/sequence-model.js';
import { createLoss, DEFAULT_LOSS, DEFAULT_MINER } from '../metric/create-loss.js';
import type { BaseLoss } from '../metric/losses/base-loss.js';
import { Adam } from '../training/adam.js';

/** Sequences per client in the reference batch (the PyTorch script's `--splits`). */
export const SPLITS = 5;

/**
 * Reads `--name value` from `args`; `fallback` when the flag or its value is missing.
 * @param args - the command line after the script name
 */
export function flagReader(args: readonly string[]): (name: string, fallback: string) => string {
  return (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
  };
}

/** The middle value (mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** A batch with the client of each sequence, as the loss needs it. */
export type LabelledBatch = EventBatch & { labels: Int32Array };

/**
 * The PyTorch script's batch: `clients` × {@link SPLITS} sequences, lengths uniform in
 * [minLen, maxLen], category ids 1..249 (`mcc`), amounts log1p(e^N(0,1)·100) (`amount`).
 */
export function referenceBatch(seed: number, clients: number, minLen: number, maxLen: number): LabelledBatch {
  const rng = new Rng(seed);
  const size = clients * SPLITS;
  const lengths = Int32Array.from({ length: size }, () => rng.int(minLen, maxLen));
  const maxLength = Math.max(...lengths);
  const cat = new Int32Array(size * maxLength);
  const amount = new Float32Array(size * maxLength);
  for (let b = 0; b < size; b++) {
    for (let t = 0; t < lengths[b]!; t++) {
      cat[b * maxLength + t] = rng.int(1, 249);
      amount[b * maxLength + t] = Math.log1p(Math.exp(rng.normal()) * 100);
    }
  }
  const labels = Int32Array.from({ length: size }, (_, i) => Math.floor(i / SPLITS));
  return { size, maxLength, lengths, categorical: { mcc: cat }, numeric: { amount }, labels };
}

/** The encoder of a reference step. */
export interface ReferenceEncoder {
  readonly encoder: EncoderKind;
  readonly hidden: number;
  readonly layers: number;
  /** Attention heads (the Transformer's only). */
  readonly heads: number;
}

/** What a reference train step updates: the model, Adam over its trainable variables, and the loss. */
export interface ReferenceTraining {
  readonly model: SequenceModel;
  readonly adam: Adam;
  readonly loss: BaseLoss;
  /** The trainable variables, in Adam's order. */
  readonly variables: tf.Variable[];
  /** Frees the loss, Adam's state and the model. */
  dispose(): void;
}

/**
 * The reference step's model (categorical embedding 16 over 250 values, one numeric, no learnable
 * initial state or embedding noise, as the PyTorch script), Adam at 0.002 and the default
 * contrastive loss with its hard-negative miner.
 */
export function referenceTraining({ encoder, hidden, layers, heads }: ReferenceEncoder): ReferenceTraining {
  const config = buildEncoderConfig(resolveEncoderOptions({ encoder, hidden, categoricalDim: 16, heads, layers, learnableInitialState: false, embeddingNoise: 0 }), {
    categorical: [{ name: 'mcc', vocabularySize: 250 }],
    numeric: ['amount'],
  });
  const model = new SequenceModel(config, 1);
  const params = model.parameters().filter((p) => p.variable.trainable);
  const adam = new Adam(params, 0.002);
  const loss = createLoss(DEFAULT_LOSS, DEFAULT_MINER);
  return {
    model,
    adam,
    loss,
    variables: params.map((p) => p.variable),
    dispose: () => {
      loss.dispose();
      adam.dispose();
      model.dispose();
    },
  };
}
