/**
 * Stacked, optionally bidirectional GRU/LSTM over packed batches. The output is the state after
 * each sequence's last real event; with `bidirectional`, the reverse direction's state after the
 * sequence's first event (PyTorch's `h_n`) is appended.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../data/random.js';
import { ConfigError } from '../errors.js';
import type { RnnConfig } from './encoder-config.js';
import type { ForwardMode } from './event-encoder.js';
import { type PackedBatch, reversedRows } from './packed-batch.js';
import { runPackedRecurrence, runPackedRecurrenceWithState } from './packed-recurrence.js';
import type { ParameterStore } from './parameters.js';
import { type CellState, GruCell, LstmCell, type RecurrentCell } from './recurrent-cells.js';
import type { SequenceEncoder } from './sequence-encoder.js';

/** What {@link RnnEncoder.forwardWithState} returns; every tensor in the batch's original order. */
export interface StatefulRnnOutput {
  /** The embeddings `[size, hidden]` (the last layer's final `h`). */
  readonly output: tf.Tensor2D;
  /** `states[l]`: layer `l`'s state after each sequence's last event (`[h]` for GRU, `[h, c]` for LSTM), each `[size, hidden]`. */
  readonly states: readonly CellState[];
}

/** Why a bidirectional RNN cannot continue from a saved state (ConfigError message). */
export const BIDIRECTIONAL_REFUSAL =
  'Incremental embedding needs a unidirectional RNN, but this model is bidirectional: its reverse direction reads each ' +
  'sequence from the newest event back to the oldest, so every new event changes it from the start and there is no state ' +
  'to continue from. Embed the whole history instead (without --state)';

/** GRU or LSTM sequence encoder. */
export class RnnEncoder implements SequenceEncoder {
  readonly width: number;
  private readonly layers: { forward: RecurrentCell; backward?: RecurrentCell }[] = [];

  constructor(
    readonly config: RnnConfig,
    inputSize: number,
    store: ParameterStore,
    rng: Rng,
  ) {
    const directions = config.bidirectional ? 2 : 1;
    for (let l = 0; l < config.layers; l++) {
      const size = l === 0 ? inputSize : directions * config.hidden;
      const make = (dir: string): RecurrentCell =>
        config.kind === 'gru'
          ? new GruCell(store, `${config.kind}/l${l}/${dir}`, size, config.hidden, config.learnableInitialState, rng)
          : new LstmCell(store, `${config.kind}/l${l}/${dir}`, size, config.hidden, rng);
      this.layers.push({ forward: make('fwd'), ...(config.bidirectional ? { backward: make('bwd') } : {}) });
    }
    this.width = directions * config.hidden;
  }

  forward(events: tf.Tensor2D, packed: PackedBatch, _mode: ForwardMode): tf.Tensor2D {
    const reverse = this.config.bidirectional ? tf.tensor1d(reversedRows(packed), 'int32') : undefined;
    let input = events;
    // Every layer but the last passes its state at every event on to the next layer.
    for (const layer of this.layers.slice(0, -1)) {
      const fwd = runPackedRecurrence(layer.forward, input, packed, 'outputs');
      input = layer.backward && reverse
        ? tf.concat([fwd, tf.gather(runPackedRecurrence(layer.backward, tf.gather(input, reverse) as tf.Tensor2D, packed, 'outputs'), reverse) as tf.Tensor2D], 1)
        : fwd;
    }
    const last = this.layers[this.layers.length - 1]!;
    const fwd = runPackedRecurrence(last.forward, input, packed, 'final');
    const final = last.backward && reverse
      ? tf.concat([fwd, runPackedRecurrence(last.backward, tf.gather(input, reverse) as tf.Tensor2D, packed, 'final')], 1)
      : fwd;
    // Back from length-sorted order to the batch's order.
    return tf.gather(final, tf.tensor1d(packed.rank, 'int32')) as tf.Tensor2D;
  }

  /** Each layer's start state for one sequence (`[h]` / `[h, c]`, each `[1, hidden]`). Call inside `tf.tidy`. */
  startState(): tf.Tensor2D[][] {
    return this.layers.map((layer) => [...layer.forward.initial(1)]);
  }

  /**
   * {@link RnnEncoder.forward} for a unidirectional RNN, started from `initial` instead of the
   * model's start state and returning every layer's final state as well, so a later call can
   * continue each sequence over newer events: running the events in two calls, the second
   * starting from the first's `states`, gives the same result as one call over all of them.
   * @param initial - per layer, the state components (`[h]` / `[h, c]`) `[size, hidden]` in batch
   *   order. @defaultValue the model's start state for every sequence
   * @throws ConfigError for a bidirectional RNN (its reverse direction must re-read the whole sequence)
   */
  forwardWithState(events: tf.Tensor2D, packed: PackedBatch, initial?: readonly CellState[]): StatefulRnnOutput {
    if (this.config.bidirectional) throw new ConfigError(BIDIRECTIONAL_REFUSAL);
    // States arrive and leave in batch order; the recurrence runs in length-sorted order.
    const order = initial ? tf.tensor1d(packed.order, 'int32') : undefined;
    const rank = tf.tensor1d(packed.rank, 'int32');
    let input = events;
    const states: CellState[] = [];
    this.layers.forEach((layer, l) => {
      const last = l === this.layers.length - 1;
      const start = initial && order ? initial[l]!.map((s) => tf.gather(s, order) as tf.Tensor2D) : undefined;
      const run = runPackedRecurrenceWithState(layer.forward, input, packed, last ? 'final' : 'outputs', start);
      states.push(run.final.map((s) => tf.gather(s, rank) as tf.Tensor2D));
      input = run.output;
    });
    return { output: states[states.length - 1]![0]!, states };
  }

  /**
   * The last layer's state after every event, `[packed.events, width]` in packed order (CPC's
   * context `c_t`). A bidirectional encoder's reverse direction has read the future at `t`, so it
   * would leak the very events CPC predicts: refused.
   */
  forwardEvents(events: tf.Tensor2D, packed: PackedBatch, _mode: ForwardMode): tf.Tensor2D {
    if (this.config.bidirectional) {
      throw new ConfigError('Per-event outputs (CPC) need a unidirectional RNN: set `bidirectional` to false');
    }
    let input = events;
    for (const layer of this.layers) input = runPackedRecurrence(layer.forward, input, packed, 'outputs');
    return input;
  }
}
