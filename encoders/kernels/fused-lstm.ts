/**
 * The whole-sequence LSTM of lstm-sequence.ts as ONE differentiable tfjs op (`tf.customGrad`),
 * as fused-gru.ts does for the GRU: one forward op and one gradient function per layer and
 * direction instead of ~20 kernels forward and ~40 backward per step, and a tape of 7H floats per
 * event instead of the step loop's tensors. Gate math in compiled C when native-gates.ts can build
 * it (TypeScript loops with a SIMD σ otherwise). Reads and writes the wasm heap in place
 * (fused-workspace.ts); needs OpenBLAS: check {@link fusedLstmAvailable}.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import { openWorkspace } from './fused-workspace.js';
import type { GateActivation } from './gate-activation.js';
import { packedOffsets } from './gru-sequence.js';
import { lstmBackward, lstmForward, releaseLstmTape, type LstmGeometry } from './lstm-sequence.js';
import { nativeGates } from './native-gates.js';
import type { SgemmProvider } from './openblas.js';
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

function requireBlas(): SgemmProvider {
  // OpenBLAS, else the wasm SIMD sgemm (made here, before the op takes any heap views).
  const loaded = loadSgemm();
  if (!loaded.ok) throw new Error(`fusedPackedLstm needs an sgemm: ${loaded.reason}`);
  return loaded.chosen;
}

function geometryOf(inputs: FusedLstmInputs): LstmGeometry {
  const [size, hidden] = inputs.initialH.shape;
  const { batchSizes } = inputs;
  const offsets = packedOffsets(batchSizes);
  const events = offsets[batchSizes.length];
  const expect = (ok: boolean, what: string): void => {
    if (!ok) throw new ShapeError(`fusedPackedLstm: ${what}`);
  };
  expect(batchSizes.length > 0 && batchSizes[0] === size, `batchSizes[0] must equal the ${size} initial states, got ${batchSizes[0]}`);
  expect(batchSizes.every((b, t) => b >= 1 && (t === 0 || b <= batchSizes[t - 1])), 'batchSizes must be non-increasing and >= 1');
  expect(inputs.initialC.shape[0] === size && inputs.initialC.shape[1] === hidden, `initialC must be [${size}, ${hidden}], got [${inputs.initialC.shape}]`);
  expect(inputs.projected.shape[0] === events && inputs.projected.shape[1] === 4 * hidden,
    `projected must be [${events}, ${4 * hidden}], got [${inputs.projected.shape}]`);
  expect(inputs.wh.shape[0] === hidden && inputs.wh.shape[1] === 4 * hidden, `wh must be [${hidden}, ${4 * hidden}], got [${inputs.wh.shape}]`);
  return { size, hidden, batchSizes, offsets };
}

/**
 * Runs an LSTM layer over a packed batch as one op. Same values and gradients (within float32
 * rounding) as stepping `LstmCell` with tfjs ops; gradients flow to all four tensor inputs.
 */
export function fusedPackedLstm(inputs: FusedLstmInputs): tf.Tensor2D {
  const blas = requireBlas();
  const geometry = geometryOf(inputs);
  const { size, hidden } = geometry;
  const events = geometry.offsets[geometry.batchSizes.length];
  const { keepOutputs } = inputs;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const tensors = args.slice(0, 4).map((a) => {
      if (!(a instanceof tf.Tensor)) throw new Error('fusedPackedLstm: expected tensor inputs');
      return a;
    });
    // Keep the activations only when a gradient is being recorded.
    const keepTape = tf.engine().state.gradientDepth > 0;
    const native = nativeGates();
    const ws = openWorkspace(tensors, [keepOutputs ? [events, hidden] : [size, hidden]], native !== null ? [] : [size * 4 * hidden, size * hidden]);
    let run: ReturnType<typeof lstmForward>;
    let whCopy: Float32Array;
    try {
      const [x, h0, c0, wh] = ws.inputs as [Float32Array, Float32Array, Float32Array, Float32Array];
      // The backward pass runs later, when heap views may be stale: it gets its own copy (H·4H values).
      whCopy = keepTape ? Float32Array.from(wh) : wh;
      const out = ws.outputs[0]!;
      const [gates, cell] = ws.activations as [GateActivation, GateActivation];
      const math = native !== null ? { native } : { native, gates, cell };
      run = lstmForward(blas, geometry, x, h0, c0, wh, { math, keepTape, outputs: keepOutputs ? out : null, ...(keepOutputs ? {} : { h: out }) });
    } catch (error) {
      ws.abort();
      throw error;
    }
    const value = ws.finish()[0] as tf.Tensor2D;
    let consumed = false;
    const gradFunc = (dy: tf.Tensor2D): tf.Tensor[] => {
      if (run.tape === null) throw new Error('fusedPackedLstm: no tape was recorded for this forward pass');
      if (consumed) throw new Error('fusedPackedLstm: the gradient of one forward pass was asked for twice (its tape went back to the pool)');
      consumed = true;
      const tape = run.tape;
      const back = openWorkspace([dy], [[events, 4 * hidden], [size, hidden], [size, hidden], [hidden, 4 * hidden]], []);
      try {
        const upstream = back.inputs[0]!;
        const [dx, dh0, dc0, dwh] = back.outputs as [Float32Array, Float32Array, Float32Array, Float32Array];
        lstmBackward(blas, geometry, tape, whCopy, keepOutputs ? null : upstream, keepOutputs ? upstream : null, { dx, dh0, dc0, dwh }, native);
      } catch (error) {
        back.abort();
        throw error;
      } finally {
        // tfjs runs a gradient function once per recorded op: the tape is not needed again.
        releaseLstmTape(tape);
      }
      return back.finish();
    };
    return { value, gradFunc };
  });
  return op(inputs.projected, inputs.initialH, inputs.initialC, inputs.wh);
}
