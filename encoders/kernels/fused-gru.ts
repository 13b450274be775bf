/**
 * The whole-sequence GRU of gru-sequence.ts as ONE differentiable tfjs op (`tf.customGrad`).
 *
 * A plain-tfjs GRU step is ~20 kernels forward and ~40 backward, each with JavaScript dispatch,
 * tape bookkeeping and an output allocation; at 200 steps that is ~16 000 kernel calls per train
 * step. Here the forward is one op and the backward one gradient function, both running the
 * recurrence with OpenBLAS products and the gate math in compiled C (native-gates.ts; TypeScript
 * loops with a SIMD σ when that library cannot be built). On wasm it reads and writes the tensors' heap
 * memory in place (fused-workspace.ts, through fused-recurrent-op.ts); on other backends it copies through dataSync / tf.tensor.
 * Needs OpenBLAS: check {@link fusedGruAvailable}.
 */
import * as tf from '@tensorflow/tfjs';
import { checkedGeometry, expectShape, fusedRecurrentOp } from './fused-recurrent-op.js';
import { gruBackward, gruForward, releaseGruTape, type GruTape } from './gru-sequence.js';
import { packedEvents, type PackedGeometry } from './packed-geometry.js';
import { loadSgemm } from './simd-gemm-provider.js';

/** Inputs of {@link fusedPackedGru}. */
export interface FusedGruInputs {
  /** Input projection of every packed event, `input·Wx + bx`: `[events, 3H]` (gate order r, z, n). */
  readonly projected: tf.Tensor2D;
  /** Initial state of every sequence in sorted (longest-first) order: `[size, H]`. */
  readonly initial: tf.Tensor2D;
  /** Recurrent weights `[H, 3H]`. */
  readonly wh: tf.Tensor2D;
  /** Recurrent bias `[3H]` (PyTorch's `b_hh`; its n part sits inside the reset product). */
  readonly bh: tf.Tensor1D;
  /** Running sequences per step (PackedBatch.batchSizes): non-increasing, first = size, sum = events. */
  readonly batchSizes: readonly number[];
  /**
   * Return the state after every packed event `[events, H]` (input of a stacked layer) instead of
   * the state after each sequence's last event `[size, H]`.
   */
  readonly keepOutputs: boolean;
}

/** True when an sgemm (OpenBLAS, else the wasm SIMD kernel) is available, so {@link fusedPackedGru} can run. */
export function fusedGruAvailable(): boolean {
  return loadSgemm().ok;
}

const OP = 'fusedPackedGru';

function geometryOf(inputs: FusedGruInputs): PackedGeometry {
  const geometry = checkedGeometry(OP, inputs.initial, inputs.batchSizes);
  const { hidden } = geometry;
  expectShape(OP, 'projected', inputs.projected, [packedEvents(geometry), 3 * hidden]);
  expectShape(OP, 'wh', inputs.wh, [hidden, 3 * hidden]);
  expectShape(OP, 'bh', inputs.bh, [3 * hidden]);
  return geometry;
}

/**
 * Runs a GRU layer over a packed batch as one op. Same values and gradients (within float32
 * rounding) as stepping `GruCell` with tfjs ops; gradients flow to all four tensor inputs.
 */
export function fusedPackedGru(inputs: FusedGruInputs): tf.Tensor2D {
  return fusedRecurrentOp<GruTape>({
    op: OP,
    inputs: [inputs.projected, inputs.initial, inputs.wh, inputs.bh],
    weightIndex: 2,
    keepOutputs: inputs.keepOutputs,
    geometry: () => geometryOf(inputs),
    // σ of r and z, then of the (doubled) candidate: tanh(a) = 2σ(2a) − 1.
    scratchLengths: ({ size, hidden }) => [size * 2 * hidden, size * hidden],
    forward: (blas, geometry, { inputs: [x, h0, wh, bh], outputs, final, activations: [gates, candidate], native, keepTape }) => {
      const math = native !== null ? { native } : { native, gates, candidate };
      return gruForward(blas, geometry, x, h0, wh, bh, { math, keepTape, outputs, state: final }).tape;
    },
    backward: (blas, geometry, tape, wh, upstream, [dx, dh0, dwh, dbh], native) => {
      gruBackward(blas, geometry, tape, wh, upstream, { dx, dh0, dwh, dbh }, native);
    },
    release: releaseGruTape,
  });
}
