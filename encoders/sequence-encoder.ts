/**
 * The contract between the event encoder and a sequence encoder: packed event vectors in, one
 * vector per sequence out, in the batch's original order.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ForwardMode } from './event-encoder.js';
import type { PackedBatch } from './packed-batch.js';

/** A sequence encoder (GRU, LSTM or Transformer). */
export interface SequenceEncoder {
  /** Width of the vector produced per sequence. */
  readonly width: number;
  /**
   * Encodes every sequence of `packed` from its event vectors `events` (`[packed.events, in]`).
   * Returns `[packed.size, width]` in the original batch order. Call inside `tf.tidy` or a gradient function.
   */
  forward(events: tf.Tensor2D, packed: PackedBatch, mode: ForwardMode): tf.Tensor2D;
}
