/**
 * GRU and LSTM cells written as plain tfjs ops with explicit weights. The input projection of all
 * time steps is one matmul done by the caller ({@link runPackedRecurrence}); a cell step is one fused
 * matmul of the state plus a handful of elementwise ops, so per-step cost is flat and the autodiff
 * tape grows linearly with sequence length (tfjs-layers' RNN does not: it has a length cliff on wasm).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../data/random.js';
import { fusedPackedGru } from './kernels/fused-gru.js';
import { fusedPackedLstm } from './kernels/fused-lstm.js';
import { nativeGates } from './kernels/native-gates.js';
import { nativeKernelsEnabled } from './kernels/native-kernels.js';
import type { PackedBatch } from './packed-batch.js';
import { normalInit, type ParameterStore, uniformInit } from './parameters.js';

/** Recurrent state: `h` always, `c` for LSTM. All tensors have one row per running sequence. */
export type CellState = readonly tf.Tensor2D[];

/** What a recurrence returns: each sequence's state after its last event, or the state at every event. */
export type RecurrenceOutput = 'final' | 'outputs';

/** One recurrent cell (one layer, one direction). */
export interface RecurrentCell {
  /** Hidden size. */
  readonly hidden: number;
  /** Input-projection weights `[in, gates]` and bias `[gates]`, applied by the caller to all steps at once. */
  readonly wx: tf.Variable;
  readonly bx: tf.Variable;
  /** State at step 0 for `batch` sequences. */
  initial(batch: number): CellState;
  /** One step: `x` is the input projection of the running rows `[n, gates]`, `state` has `n` rows. */
  step(x: tf.Tensor2D, state: CellState): CellState;
  /**
   * The whole recurrence as one fused op over the projected inputs, or `undefined` when no fused
   * implementation is available (then the caller steps through {@link RecurrentCell.step}).
   */
  fusedSequence?(projected: tf.Tensor2D, packed: PackedBatch, output: RecurrenceOutput): tf.Tensor2D | undefined;
}

/**
 * Whether the OpenBLAS whole-sequence GRU replaces the step loop: only when the native kernels
 * are active (wasm with OpenBLAS), and not when `MELES_FUSED_GRU=0`.
 */
export function fusedGruEnabled(): boolean {
  return process.env.MELES_FUSED_GRU !== '0' && nativeKernelsEnabled();
}

/**
 * Whether the OpenBLAS whole-sequence LSTM replaces the step loop: only when the
 * native kernels are active (wasm with OpenBLAS), and not when `MELES_FUSED_LSTM=0`.
 */
export function fusedLstmEnabled(): boolean {
  return process.env.MELES_FUSED_LSTM !== '0' && nativeKernelsEnabled();
}

/**
 * Whether a fused op runs now: always while recording gradients (its tape is far smaller than the
 * step loop's); for inference only with the compiled gate math. With the TypeScript gate math
 * the step loop was faster for inference (300 vs 390–680 ms per reference batch); with the C gates
 * the fused forward took 1 087 vs 2 635 ms for the loop (one GRU layer, interleaved, issue 16).
 */
function fusedInference(): boolean {
  return tf.engine().state.gradientDepth > 0 || nativeGates() !== null;
}

/** A GRU cell with PyTorch's equations (gate order r, z, n; `b_hn` inside the reset product). */
export class GruCell implements RecurrentCell {
  readonly wx: tf.Variable;
  readonly bx: tf.Variable;
  private readonly wh: tf.Variable;
  private readonly bh: tf.Variable;
  private readonly start?: tf.Variable;

  constructor(store: ParameterStore, prefix: string, inputSize: number, readonly hidden: number, learnableStart: boolean, rng: Rng) {
    const g = 3 * hidden;
    const bound = 1 / Math.sqrt(hidden);
    this.wx = store.add(`${prefix}/wx`, [inputSize, g], uniformInit(rng, inputSize * g, bound));
    this.bx = store.add(`${prefix}/bx`, [g], uniformInit(rng, g, bound));
    this.wh = store.add(`${prefix}/wh`, [hidden, g], uniformInit(rng, hidden * g, bound));
    this.bh = store.add(`${prefix}/bh`, [g], uniformInit(rng, g, bound));
    // ptls `trainable_starter='static'`: h0 = tanh(s), s ~ N(0, 1).
    if (learnableStart) this.start = store.add(`${prefix}/h0`, [1, hidden], normalInit(rng, hidden, 1));
  }

  initial(batch: number): CellState {
    if (!this.start) return [tf.zeros([batch, this.hidden])];
    // A broadcasting add, not tf.tile: tile's gradient is one slice and one add per row (640
    // tfjs ops for 320 sequences, 3% of a train step, issue 16); the add's is one column sum.
    return [tf.add(tf.zeros([batch, this.hidden]), tf.tanh(this.start as tf.Tensor2D))];
  }

  step(x: tf.Tensor2D, state: CellState): CellState {
    const h = state[0]!;
    const H = this.hidden;
    const hh = tf.fused.matMul({ a: h, b: this.wh as tf.Tensor2D, bias: this.bh }) as tf.Tensor2D;
    const [xrz, xn] = tf.split(x, [2 * H, H], 1) as [tf.Tensor2D, tf.Tensor2D];
    const [hrz, hn] = tf.split(hh, [2 * H, H], 1) as [tf.Tensor2D, tf.Tensor2D];
    const [r, z] = tf.split(tf.sigmoid(tf.add(xrz, hrz)), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
    // (1 - z) * n + z * h, written with one fewer op.
    return [tf.add(n, tf.mul(z, tf.sub(h, n)))];
  }

  fusedSequence(projected: tf.Tensor2D, packed: PackedBatch, output: RecurrenceOutput): tf.Tensor2D | undefined {
    if (!fusedGruEnabled() || !fusedInference()) return undefined;
    return fusedPackedGru({
      projected,
      initial: this.initial(packed.size)[0]!,
      wh: this.wh as tf.Tensor2D,
      bh: this.bh as tf.Tensor1D,
      batchSizes: packed.batchSizes,
      keepOutputs: output === 'outputs',
    });
  }
}

/** An LSTM cell (internal gate order i, f, o, g so the three sigmoids are one op); state starts at zero. */
export class LstmCell implements RecurrentCell {
  readonly wx: tf.Variable;
  readonly bx: tf.Variable;
  private readonly wh: tf.Variable;

  constructor(store: ParameterStore, prefix: string, inputSize: number, readonly hidden: number, rng: Rng) {
    const g = 4 * hidden;
    const bound = 1 / Math.sqrt(hidden);
    this.wx = store.add(`${prefix}/wx`, [inputSize, g], uniformInit(rng, inputSize * g, bound));
    // PyTorch has two biases (b_ih + b_hh); they only ever appear summed, so one is kept.
    this.bx = store.add(`${prefix}/bx`, [g], uniformInit(rng, g, bound));
    this.wh = store.add(`${prefix}/wh`, [hidden, g], uniformInit(rng, hidden * g, bound));
  }

  initial(batch: number): CellState {
    return [tf.zeros([batch, this.hidden]), tf.zeros([batch, this.hidden])];
  }

  step(x: tf.Tensor2D, state: CellState): CellState {
    const [h, c] = state as [tf.Tensor2D, tf.Tensor2D];
    const H = this.hidden;
    const gates = tf.add(x, tf.matMul(h, this.wh as tf.Tensor2D));
    const [ifo, g] = tf.split(gates, [3 * H, H], 1) as [tf.Tensor2D, tf.Tensor2D];
    const [i, f, o] = tf.split(tf.sigmoid(ifo), 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const cNew = tf.add<tf.Tensor2D>(tf.mul(f, c), tf.mul(i, tf.tanh(g)));
    return [tf.mul(o, tf.tanh(cNew)), cNew];
  }

  fusedSequence(projected: tf.Tensor2D, packed: PackedBatch, output: RecurrenceOutput): tf.Tensor2D | undefined {
    if (!fusedLstmEnabled() || !fusedInference()) return undefined;
    const [h0, c0] = this.initial(packed.size) as [tf.Tensor2D, tf.Tensor2D];
    return fusedPackedLstm({
      projected,
      initialH: h0,
      initialC: c0,
      wh: this.wh as tf.Tensor2D,
      batchSizes: packed.batchSizes,
      keepOutputs: output === 'outputs',
    });
  }
}
