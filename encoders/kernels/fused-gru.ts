/**
 * The whole-sequence GRU of gru-sequence.ts as ONE differentiable tfjs op (`tf.customGrad`).
 *
 * A plain-tfjs GRU step is ~20 kernels forward and ~40 backward, each with JavaScript dispatch,
 * tape bookkeeping and an output allocation; at 200 steps that is ~16 000 kernel calls per train
 * step. Here the forward is one op and the backward one gradient function, both running the
 * recurrence with OpenBLAS products and the gate math in compiled C (native-gates.ts; TypeScript
 * loops with a SIMD σ when that library cannot be built). On wasm it reads and writes the tensors' heap
 * memory in place (fused-workspace.ts); on other backends it copies through dataSync / tf.tensor.
 * Needs OpenBLAS: check {@link fusedGruAvailable}.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import { openWorkspace } from './fused-workspace.js';
import type { GateActivation } from './gate-activation.js';
import { gruBackward, gruForward, packedOffsets, releaseGruTape, type GruGeometry } from './gru-sequence.js';
import { nativeGates } from './native-gates.js';
import type { SgemmProvider } from './openblas.js';
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

function requireBlas(): SgemmProvider {
  // OpenBLAS, else the wasm SIMD sgemm (made here, before the op takes any heap views).
  const loaded = loadSgemm();
  if (!loaded.ok) throw new Error(`fusedPackedGru needs an sgemm: ${loaded.reason}`);
  return loaded.chosen;
}

function geometryOf(inputs: FusedGruInputs): GruGeometry {
  const [size, hidden] = inputs.initial.shape;
  const { batchSizes } = inputs;
  const offsets = packedOffsets(batchSizes);
  const events = offsets[batchSizes.length];
  const expect = (ok: boolean, what: string): void => {
    if (!ok) throw new ShapeError(`fusedPackedGru: ${what}`);
  };
  expect(batchSizes.length > 0 && batchSizes[0] === size, `batchSizes[0] must equal the ${size} initial states, got ${batchSizes[0]}`);
  expect(batchSizes.every((b, t) => b >= 1 && (t === 0 || b <= batchSizes[t - 1])), 'batchSizes must be non-increasing and >= 1');
  expect(inputs.projected.shape[0] === events && inputs.projected.shape[1] === 3 * hidden,
    `projected must be [${events}, ${3 * hidden}], got [${inputs.projected.shape}]`);
  expect(inputs.wh.shape[0] === hidden && inputs.wh.shape[1] === 3 * hidden, `wh must be [${hidden}, ${3 * hidden}], got [${inputs.wh.shape}]`);
  expect(inputs.bh.shape[0] === 3 * hidden, `bh must be [${3 * hidden}], got [${inputs.bh.shape}]`);
  return { size, hidden, batchSizes, offsets };
}

/**
 * Runs a GRU layer over a packed batch as one op. Same values and gradients (within float32
 * rounding) as stepping `GruCell` with tfjs ops; gradients flow to all four tensor inputs.
 */
export function fusedPackedGru(inputs: FusedGruInputs): tf.Tensor2D {
  const blas = requireBlas();
  const geometry = geometryOf(inputs);
  const { size, hidden } = geometry;
  const events = geometry.offsets[geometry.batchSizes.length];
  const { keepOutputs } = inputs;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const tensors = args.slice(0, 4).map((a) => {
      if (!(a instanceof tf.Tensor)) throw new Error('fusedPackedGru: expected tensor inputs');
      return a;
    });
    // Keep the activations only when a gradient is being recorded (not for embedding inference).
    const keepTape = tf.engine().state.gradientDepth > 0;
    const native = nativeGates();
    const ws = openWorkspace(tensors, [keepOutputs ? [events, hidden] : [size, hidden]], native !== null ? [] : [size * 2 * hidden, size * hidden]);
    let run: ReturnType<typeof gruForward>;
    let whCopy: Float32Array;
    try {
      const [x, h0, wh, bh] = ws.inputs as [Float32Array, Float32Array, Float32Array, Float32Array];
      // The backward pass runs later, when the heap views may be stale: it gets its own copy (H·3H values).
      whCopy = keepTape ? Float32Array.from(wh) : wh;
      const out = ws.outputs[0]!;
      const [gates, candidate] = ws.activations as [GateActivation, GateActivation];
      const math = native !== null ? { native } : { native, gates, candidate };
      run = gruForward(blas, geometry, x, h0, wh, bh, { math, keepTape, outputs: keepOutputs ? out : null, ...(keepOutputs ? {} : { state: out }) });
    } catch (error) {
      ws.abort();
      throw error;
    }
    const value = ws.finish()[0] as tf.Tensor2D;
    let consumed = false;
    const gradFunc = (dy: tf.Tensor2D): tf.Tensor[] => {
      if (run.tape === null) throw new Error('fusedPackedGru: no tape was recorded for this forward pass');
      if (consumed) throw new Error('fusedPackedGru: the gradient of one forward pass was asked for twice (its tape went back to the pool)');
      consumed = true;
      const tape = run.tape;
      const back = openWorkspace([dy], [[events, 3 * hidden], [size, hidden], [hidden, 3 * hidden], [3 * hidden]], []);
      try {
        const upstream = back.inputs[0]!;
        const [dx, dh0, dwh, dbh] = back.outputs as [Float32Array, Float32Array, Float32Array, Float32Array];
        gruBackward(blas, geometry, tape, whCopy, keepOutputs ? null : upstream, keepOutputs ? upstream : null, { dx, dh0, dwh, dbh }, native);
      } catch (error) {
        back.abort();
        throw error;
      } finally {
        // tfjs runs a gradient function once per recorded op: the tape is not needed again.
        releaseGruTape(tape);
      }
      return back.finish();
    };
    return { value, gradFunc };
  });
  return op(inputs.projected, inputs.initial, inputs.wh, inputs.bh);
}
