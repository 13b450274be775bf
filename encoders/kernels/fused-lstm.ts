/**
 * The whole-sequence LSTM of lstm-sequence.ts as ONE differentiable tfjs op (`tf.customGrad`),
 * as fused-gru.ts does for the GRU: one forward op and one gradient function per layer and
 * direction instead of ~20 kernels forward and ~40 backward per step, and a tape of 7H floats per
 * event instead of the step loop's tensors. Gate math in compiled C when native-gates.ts can build
 * it (TypeScript loops with a SIMD σ otherwise). Reads and writes the wasm heap in place
 * (fused-workspace.ts, through fused-recurrent-op.ts); needs OpenBLAS: check {@link fusedLstmAvailable}.
 */
import * as tf from '@tensorflow/tfjs';
import { checkedGeometry, expectShape, fusedRecurrentOp } from './fused-recurrent-op.js';
import { lstmBackward, lstmForward, releaseLstmTape, type LstmTape } from './lstm-sequence.js';
import { packedEvents, type PackedGeometry } from './packed-geometry.js';
import { loadSgemm } from './simd-gemm-provider.js';

/** Inputs of {@link fusedPackedLstm}. */
export interface FusedLstmInputs {
  /** Input projection of every packed event, `input·Wx + bx`: `[events, 4H]` (gate order i, f, o, g). */
  readonly projected: tf.Tensor2D;
  /** Initial hidden state of every sequence in sorted (longest-first) order: `[size, H]`. */
  readonly initialH: tf.Tensor2D;
  /** Initial cell state, like {@link FusedLstmInputs.initialH}. */
  readonly initialC: tf.Tensor2D;
  /** Recurrent weights `[H, 4H]`. */
  readonly wh: tf.Tensor2D;
  /** Running sequences per step (PackedBatch.batchSizes): non-increasing, first = size, sum = events. */
  readonly batchSizes: readonly number[];
  /**
   * Return the hidden state after every packed event `[events, H]` (input of a stacked layer)
   * instead of the hidden state after each sequence's last event `[size, H]`.
   */
  readonly keepOutputs: boolean;
}

/** True when an sgemm (OpenBLAS, else the wasm SIMD kernel) is available, so {@link fusedPackedLstm} can run. */
export function fusedLstmAvailable(): boolean {
  return loadSgemm().ok;
}

const OP = 'fusedPackedLstm';

function geometryOf(inputs: FusedLstmInputs): PackedGeometry {
  const geometry = checkedGeometry(OP, inputs.initialH, inputs.batchSizes);
  const { size, hidden } = geometry;
  expectShape(OP, 'initialC', inputs.initialC, [size, hidden]);
  expectShape(OP, 'projected', inputs.projected, [packedEvents(geometry), 4 * hidden]);
  expectShape(OP, 'wh', inputs.wh, [hidden, 4 * hidden]);
  return geometry;
}

/**
 * Runs an LSTM layer over a packed batch as one op. Same values and gradients (within float32
 * rounding) as stepping `LstmCell` with tfjs ops; gradients flow to all four tensor inputs.
 */
export function fusedPackedLstm(inputs: FusedLstmInputs): tf.Tensor2D {
  return fusedRecurrentOp<LstmTape>({
    op: OP,
    inputs: [inputs.projected, inputs.initialH, inputs.initialC, inputs.wh],
    weightIndex: 3,
    keepOutputs: inputs.keepOutputs,
    geometry: () => geometryOf(inputs),
    // σ of the four gates (g doubled: tanh(a) = 2σ(2a) − 1), then of the doubled cell state for tanh(c').
    scratchLengths: ({ size, hidden }) => [size * 4 * hidden, size * hidden],
    forward: (blas, geometry, { inputs: [x, h0, c0, wh], outputs, final, activations: [gates, cell], native, keepTape }) => {
      const math = native !== null ? { native } : { native, gates, cell };
      return lstmForward(blas, geometry, x, h0, c0, wh, { math, keepTape, outputs, h: final }).tape;
    },
    backward: (blas, geometry, tape, wh, upstream, [dx, dh0, dc0, dwh], native) => {
      lstmBackward(blas, geometry, tape, wh, upstream, { dx, dh0, dc0, dwh }, native);
    },
    release: releaseLstmTape,
  });
}
