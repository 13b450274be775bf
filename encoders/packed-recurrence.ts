/**
 * Runs one recurrent cell over a packed batch. Two choices keep training time linear in length:
 * the per-step inputs come from ONE `tf.split` of the projected inputs (whose gradient is one concat;
 * a `slice` per step would back-propagate a full-size zero-padded tensor at every step, i.e.
 * quadratic work), and finished sequences leave the running state through a `split` too.
 * A cell may offer a fused whole-sequence op (the OpenBLAS GRU of encoders/kernels/), used instead
 * of the step loop when available; the loop stays the reference it is tested against.
 * {@link runPackedRecurrenceWithState} is the same loop started from given states and also returning
 * every sequence's final state (incremental embedding continues a client from it).
 */
import * as tf from '@tensorflow/tfjs';
import type { PackedBatch } from './packed-batch.js';
import type { CellState, RecurrenceOutput, RecurrentCell } from './recurrent-cells.js';

/** What {@link runPackedRecurrenceWithState} returns. */
export interface RecurrenceRun {
  /** As {@link runPackedRecurrence} returns for the same `output`. */
  readonly output: tf.Tensor2D;
  /** Every component of each sequence's state after its last event (`h`, then `c` for LSTM), `[size, hidden]` in sorted order. */
  readonly final: CellState;
}

/**
 * @param input - event vectors in packed order `[events, in]`
 * @param output - `'final'`: `[size, hidden]` in sorted order; `'outputs'`: `[events, hidden]` in packed order
 */
export function runPackedRecurrence(cell: RecurrentCell, input: tf.Tensor2D, packed: PackedBatch, output: RecurrenceOutput): tf.Tensor2D {
  return recur(cell, input, packed, output, undefined, false).output;
}

/**
 * The recurrence started from `initial` (one row per sequence in sorted order, every state
 * component; the cell's own start state when omitted), returning the final states as well.
 * Always the step loop: the fused ops return only the hidden state (no per-sequence final state
 * of every component, such as the LSTM's cell state).
 */
export function runPackedRecurrenceWithState(
  cell: RecurrentCell,
  input: tf.Tensor2D,
  packed: PackedBatch,
  output: RecurrenceOutput,
  initial?: CellState,
): RecurrenceRun {
  return recur(cell, input, packed, output, initial, true);
}

function recur(
  cell: RecurrentCell,
  input: tf.Tensor2D,
  packed: PackedBatch,
  output: RecurrenceOutput,
  initial: CellState | undefined,
  keepState: boolean,
): RecurrenceRun {
  const projected = tf.fused.matMul({ a: input, b: cell.wx as tf.Tensor2D, bias: cell.bx }) as tf.Tensor2D;
  if (!keepState) {
    const fused = cell.fusedSequence?.(projected, packed, output);
    if (fused) return { output: fused, final: [] };
  }
  const perStep = packed.steps === 1 ? [projected] : (tf.split(projected, [...packed.batchSizes], 0) as tf.Tensor2D[]);
  let state: CellState = initial ?? cell.initial(packed.size);
  // finished[k]: the ended rows of state component k (component 0 only, and only for 'final', unless keepState).
  const finished: tf.Tensor2D[][] = state.map(() => []);
  const outputs: tf.Tensor2D[] = [];
  for (let t = 0; t < packed.steps; t++) {
    const running = packed.batchSizes[t]!;
    const next = t + 1 < packed.steps ? packed.batchSizes[t + 1]! : 0;
    state = cell.step(perStep[t]!, state);
    if (output === 'outputs') outputs.push(state[0]!);
    if (next < running) {
      // Rows [next, running) end here: keep their h, carry the first `next` rows on.
      const parts = state.map((s) => (next === 0 ? [s, s] : (tf.split(s, [next, running - next], 0) as tf.Tensor2D[])));
      parts.forEach((p, k) => {
        if (keepState || (k === 0 && output === 'final')) finished[k]!.push(p[next === 0 ? 0 : 1]!);
      });
      state = parts.map((p) => p[0]!);
    }
  }
  // Chunks ended at increasing t hold decreasing sorted positions; reversed, they are rows 0..size-1.
  const inOrder = (chunks: tf.Tensor2D[]): tf.Tensor2D => {
    chunks.reverse();
    return chunks.length === 1 ? chunks[0]! : tf.concat(chunks, 0);
  };
  const final = keepState ? finished.map(inOrder) : [];
  if (output === 'outputs') return { output: outputs.length === 1 ? outputs[0]! : tf.concat(outputs, 0), final };
  return { output: keepState ? final[0]! : inOrder(finished[0]!), final };
}
