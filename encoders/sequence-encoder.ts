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
  /**
   * The encoder's output after EVERY event (the context `c_t` of CPC): `[packed.events, width]` in
   * packed order, row `offsets[t] + i` = sorted sequence `i` after its event `t`. Only encoders whose
   * output at `t` depends on events `0..t` alone can offer it (a causal encoder); others leave it
   * undefined or throw a `ConfigError` naming the option that makes them non-causal.
   */
  forwardEvents?(events: tf.Tensor2D, packed: PackedBatch, mode: ForwardMode): tf.Tensor2D;
}
