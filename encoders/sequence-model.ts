/**
 * A complete encoder model: event encoder + sequence encoder over one {@link ParameterStore}.
 * Built only from an {@link EncoderConfig} and a seed, so a saved config rebuilds the same
 * architecture and parameter names in any process (the `getConfig()` idea of tfjs-layers).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../data/random.js';
import { ConfigError } from '../errors.js';
import type { EncoderConfig } from './encoder-config.js';
import { type BatchShared, EventEncoder, type ForwardMode } from './event-encoder.js';
import { l2Normalize } from './l2-normalize.js';
import { type EventBatch, packBatch, type PackedBatch } from './packed-batch.js';
import { type NamedParameter, ParameterStore } from './parameters.js';
import { BIDIRECTIONAL_REFUSAL, RnnEncoder } from './rnn-encoder.js';
import type { SequenceEncoder } from './sequence-encoder.js';
import { TransformerEncoder } from './transformer-encoder.js';

/** Per-event outputs of a model, both `[packed.events, ·]` in packed order (see {@link SequenceModel.forwardEvents}). */
export interface EventOutputs {
  /** Event encoder output per event (CPC's `z_t`), `[events, eventWidth]`. */
  readonly z: tf.Tensor2D;
  /** Sequence encoder output after each event (CPC's context `c_t`), `[events, width]`. */
  readonly c: tf.Tensor2D;
}

/**
 * Recurrent states of a batch of sequences as plain arrays: `layers[l][k]` is state component `k`
 * (`h`, then `c` for LSTM) of layer `l`, row-major `[rows, hidden]`.
 */
export interface RecurrentStates {
  readonly layers: readonly (readonly Float32Array[])[];
}

/** What {@link SequenceModel.embedWithState} returns (plain arrays: no tensors to dispose). */
export interface StatefulEmbedding {
  /** Raw embeddings (no L2), row-major `[batch.size, width]`. */
  readonly embeddings: Float32Array;
  /** Each sequence's state after its last event, in batch order. */
  readonly states: RecurrentStates;
}

/** Shape of a model's recurrent state per sequence. */
export interface RecurrentStateShape {
  readonly layers: number;
  /** 1 (`h`) for GRU, 2 (`h`, `c`) for LSTM. */
  readonly components: number;
  readonly hidden: number;
}

/**
 * Why a model cannot embed incrementally (continue from saved states), or `undefined` when it can:
 * only a unidirectional GRU/LSTM summarises everything it has read in a state.
 */
export function incrementalRefusal(config: EncoderConfig): string | undefined {
  const s = config.sequence;
  if (s.kind === 'transformer') {
    return "Incremental embedding needs a recurrent encoder ('gru' or 'lstm'), but this model's encoder is 'transformer': " +
      'its self-attention reads every event of the sequence again for each embedding, so there is no state to continue from. ' +
      'Embed the whole history instead (without --state)';
  }
  return s.bidirectional ? BIDIRECTIONAL_REFUSAL : undefined;
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
   * The batch-wide values of a training forward pass over the whole of `packed` (noise draws,
   * batch-norm moments and the running-statistics update; see `EventEncoder.batchShared`), for
   * running that pass in shards: `forward(shard, {...mode, shared})` per shard then equals the rows
   * of `forward(packed, mode)`.
   */
  batchShared(packed: PackedBatch, mode: ForwardMode): BatchShared {
    return this.events.batchShared(packed, mode);
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

  /** The shape of one sequence's recurrent state. @throws ConfigError when {@link incrementalRefusal} gives a reason */
  stateShape(): RecurrentStateShape {
    const rnn = this.statefulEncoder();
    return { layers: rnn.config.layers, components: rnn.config.kind === 'lstm' ? 2 : 1, hidden: rnn.config.hidden };
  }

  /**
   * The state a sequence starts from (the learnable GRU start, else zeros), for `rows` sequences.
   * @throws ConfigError when {@link incrementalRefusal} gives a reason
   */
  startStates(rows: number): RecurrentStates {
    const { layers, components, hidden } = this.stateShape();
    const rnn = this.statefulEncoder();
    const one = tf.tidy(() => rnn.startState());
    try {
      return {
        layers: Array.from({ length: layers }, (_, l) =>
          Array.from({ length: components }, (_, k) => {
            const row = one[l]![k]!.dataSync() as Float32Array;
            const out = new Float32Array(rows * hidden);
            for (let r = 0; r < rows; r++) out.set(row, r * hidden);
            return out;
          })),
      };
    } finally {
      one.flat().forEach((t) => t.dispose());
    }
  }

  /**
   * Inference embeddings of a batch, each sequence started from its row of `initial` instead of the
   * start state, plus every sequence's final state: embedding events in two calls (the second
   * from the first's states) equals one call over all of them. The plain {@link SequenceModel.embed}
   * path is untouched by this. Raw embeddings (apply L2 yourself).
   * @param initial - states in batch order, as {@link StatefulEmbedding.states}. @defaultValue the start state
   * @throws ConfigError for a Transformer or a bidirectional RNN (see {@link incrementalRefusal})
   */
  embedWithState(batch: EventBatch, initial?: RecurrentStates): StatefulEmbedding {
    const rnn = this.statefulEncoder();
    const { hidden } = this.stateShape();
    const packed = this.pack(batch);
    const tensors = tf.tidy(() => {
      const start = initial?.layers.map((layer) => layer.map((values) => tf.tensor2d(values, [batch.size, hidden])));
      const run = rnn.forwardWithState(this.events.forward(packed, { training: false }), packed, start);
      return run.states.map((layer) => [...layer]);
    });
    try {
      const states = tensors.map((layer) => layer.map((t) => t.dataSync() as Float32Array));
      return { embeddings: states[states.length - 1]![0]!, states: { layers: states } };
    } finally {
      tensors.flat().forEach((t) => t.dispose());
    }
  }

  private statefulEncoder(): RnnEncoder {
    const reason = incrementalRefusal(this.config);
    if (reason !== undefined || !(this.sequences instanceof RnnEncoder)) throw new ConfigError(reason ?? 'Incremental embedding needs a GRU or LSTM');
    return this.sequences;
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
