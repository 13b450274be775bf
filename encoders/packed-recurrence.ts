/**
 * Runs one recurrent cell over a packed batch. Two choices keep training time linear in length:
 * the per-step inputs come from ONE `tf.split` of the projected inputs (whose gradient is one concat;
 * a `slice` per step would back-propagate a full-size zero-padded tensor at every step, i.e.
 * quadratic work), and finished sequences leave the running state through a `split` too.
 * A cell may offer a fused whole-sequence op (the OpenBLAS GRU of encoders/kernels/), used instead
 * of the step loop when available; the loop stays the reference it is tested against.
 */
import * as tf from '@tensorflow/tfjs';
import type { PackedBatch } from './packed-batch.js';
import type { CellState, RecurrenceOutput, RecurrentCell } from './recurrent-cells.js';

/**
 * @param input - event vectors in packed order `[events, in]`
 * @param output - `'final'`: `[size, hidden]` in sorted order; `'outputs'`: `[events, hidden]` in packed order
 */
export function runPackedRecurrence(cell: RecurrentCell, input: tf.Tensor2D, packed: PackedBatch, output: RecurrenceOutput): tf.Tensor2D {
  const projected = tf.fused.matMul({ a: input, b: cell.wx as tf.Tensor2D, bias: cell.bx }) as tf.Tensor2D;
  const fused = cell.fusedSequence?.(projected, packed, output);
  if (fused) return fused;
  const perStep = packed.steps === 1 ? [projected] : (tf.split(projected, [...packed.batchSizes], 0) as tf.Tensor2D[]);
  let state: CellState = cell.initial(packed.size);
  const finished: tf.Tensor2D[] = [];
  const outputs: tf.Tensor2D[] = [];
  for (let t = 0; t < packed.steps; t++) {
    const running = packed.batchSizes[t]!;
    const next = t + 1 < packed.steps ? packed.batchSizes[t + 1]! : 0;
    state = cell.step(perStep[t]!, state);
    if (output === 'outputs') outputs.push(state[0]!);
    if (next < running) {
      // Rows [next, running) end here: keep their h, carry the first `next` rows on.
      const parts = state.map((s) => (next === 0 ? [s, s] : (tf.split(s, [next, running - next], 0) as tf.Tensor2D[])));
      if (output === 'final') finished.push(parts[0]![next === 0 ? 0 : 1]!);
      state = parts.map((p) => p[0]!);
    }
  }
  if (output === 'outputs') return outputs.length === 1 ? outputs[0]! : tf.concat(outputs, 0);
  // Chunks ended at increasing t hold decreasing sorted positions; reversed, they are rows 0..size-1.
  finished.reverse();
  return finished.length === 1 ? finished[0]! : tf.concat(finished, 0);
}
