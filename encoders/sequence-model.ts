/**
 * A complete encoder model: event encoder + sequence encoder over one {@link ParameterStore}.
 * Built only from an {@link EncoderConfig} and a seed, so a saved config rebuilds the same
 * architecture and parameter names in any process (the `getConfig()` idea of tfjs-layers).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../data/random.js';
import { ConfigError } from '../errors.js';
import type { EncoderConfig } from './encoder-config.js';
import { EventEncoder, type ForwardMode } from './event-encoder.js';
import { l2Normalize } from './l2-normalize.js';
import { type EventBatch, packBatch, type PackedBatch } from './packed-batch.js';
import { type NamedParameter, ParameterStore } from './parameters.js';
import { RnnEncoder } from './rnn-encoder.js';
import type { SequenceEncoder } from './sequence-encoder.js';
import { TransformerEncoder } from './transformer-encoder.js';

/** Per-event outputs of a model, both `[packed.events, ·]` in packed order (see {@link SequenceModel.forwardEvents}). */
export interface EventOutputs {
  /** Event encoder output per event (CPC's `z_t`), `[events, eventWidth]`. */
  readonly z: tf.Tensor2D;
  /** Sequence encoder output after each event (CPC's context `c_t`), `[events, width]`. */
  readonly c: tf.Tensor2D;
}

/** An encoder model; {@link SequenceModel.dispose} frees its weights. */
export class SequenceModel {
  /** Width of the embeddings. */
  readonly width: number;
  /** Width of the event encoder's output (the per-event vectors the sequence encoder reads). */
  readonly eventWidth: number;
  private readonly store = new ParameterStore();
  private readonly events: EventEncoder;
  private readonly sequences: SequenceEncoder;

  /** @param seed - seeds the initial weights (same seed → same weights on every backend) */
  constructor(
    readonly config: EncoderConfig,
    seed: number,
  ) {
    const rng = new Rng(seed);
    this.events = new EventEncoder(config.event, this.store, rng);
    const s = config.sequence;
    this.sequences =
      s.kind === 'transformer'
        ? new TransformerEncoder(s, this.events.width, this.store, rng)
        : new RnnEncoder(s, this.events.width, this.store, rng);
    this.width = this.sequences.width;
    this.eventWidth = this.events.width;
  }

  /** Packs a padded batch with this model's columns. */
  pack(batch: EventBatch): PackedBatch {
    return packBatch(
      batch,
      this.config.event.categorical.map((c) => c.name),
      this.config.event.numeric,
    );
  }

  /** Raw embeddings `[batch.size, width]` (no L2). Call inside `tf.tidy` or a gradient function. */
  forward(packed: PackedBatch, mode: ForwardMode): tf.Tensor2D {
    return this.sequences.forward(this.events.forward(packed, mode), packed, mode);
  }

  /**
   * Per-event outputs for CPC: the event vectors `z` and the sequence encoder's state after every
   * event `c`, in packed order (row `offsets[t] + i` is event `t` of sorted sequence `i`; see
   * `packedRow`, `sequenceOfRows`). Needs a unidirectional GRU/LSTM: the output at `t` must not
   * have seen events after `t`. Call inside `tf.tidy` or a gradient function.
   * @throws ConfigError for a Transformer or a bidirectional RNN
   */
  forwardEvents(packed: PackedBatch, mode: ForwardMode): EventOutputs {
    const s = this.config.sequence;
    if (s.kind === 'transformer' || this.sequences.forwardEvents === undefined) {
      throw new ConfigError(`Per-event outputs (CPC) need \`encoder\` 'gru' or 'lstm', got '${s.kind}'`);
    }
    if (s.bidirectional) throw new ConfigError('Per-event outputs (CPC) need a unidirectional RNN: set `bidirectional` to false');
    const z = this.events.forward(packed, mode);
    return { z, c: this.sequences.forwardEvents(z, packed, mode) };
  }

  /** Inference embeddings of a batch as a tensor the caller disposes; `l2` normalises rows. */
  embed(batch: EventBatch, l2 = false): tf.Tensor2D {
    const packed = this.pack(batch);
    return tf.tidy(() => {
      const raw = this.forward(packed, { training: false });
      return l2 ? l2Normalize(raw) : raw;
    });
  }

  /** Trainable variables (what the optimizer updates). */
  trainableVariables(): tf.Variable[] {
    return this.store.trainable();
  }

  /** Every parameter, including running statistics, in file order. */
  parameters(): NamedParameter[] {
    return this.store.all();
  }

  /** Overwrites all parameters (see {@link ParameterStore.assign}). */
  setWeights(values: ReadonlyMap<string, Float32Array>): void {
    this.store.assign(values);
  }

  /** Frees the weights. */
  dispose(): void {
    this.store.dispose();
  }
}
