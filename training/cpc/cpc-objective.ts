/**
 * One CPC training objective (pytorch-lifestream `CpcModule.shared_step` + `CPC_Loss`): the model's
 * per-event outputs `z` (event encoder) and `c` (RNN state after each event), then the CPC loss.
 * What the trainer calls inside `tf.variableGrads`, optimising the model's and the heads' variables.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../data/random.js';
import type { ForwardMode } from '../../encoders/event-encoder.js';
import type { PackedBatch } from '../../encoders/packed-batch.js';
import type { SequenceModel } from '../../encoders/sequence-model.js';
import type { CpcLoss } from './cpc-loss.js';

/**
 * The CPC loss of one packed batch. Negatives are drawn from `rng` first, then the forward pass
 * takes `mode` (its embedding noise uses `rng` too, after the draws), so equal seeds give equal losses.
 * @param mode - the forward mode @defaultValue `{ training: true, rng }`
 * @throws ConfigError when the model's sequence encoder is a Transformer or bidirectional
 */
export function cpcLossOf(model: SequenceModel, packed: PackedBatch, cpc: CpcLoss, rng: Rng, mode: ForwardMode = { training: true, rng }): tf.Scalar {
  const layout = cpc.layout(packed, rng);
  const { z, c } = model.forwardEvents(packed, mode);
  return cpc.call(z, c, layout);
}

/**
 * Whether a batch can teach CPC anything: at least two sequences (negatives come from other
 * sequences) and one with two or more events (a future to predict). On other batches
 * {@link cpcLossOf} is 0 with zero gradients; skip them, since Adam still moves the weights on zero
 * gradients (its moments are not zero).
 */
export function cpcHasSignal(packed: PackedBatch): boolean {
  return packed.size >= 2 && packed.steps >= 2;
}
