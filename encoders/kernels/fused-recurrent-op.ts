/**
 * What the fused whole-sequence GRU and LSTM ops (fused-gru.ts, fused-lstm.ts) share: the sgemm
 * they need, the checks of the packed batch sizes, and the `tf.customGrad` plumbing around their
 * forward and backward passes (workspaces, tape keeping, a tape used once).
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import { openWorkspace } from './fused-workspace.js';
import type { GateActivation } from './gate-activation.js';
import { nativeGates, type NativeGates } from './native-gates.js';
import type { SgemmProvider } from './openblas.js';
import { packedEvents, packedOffsets, type PackedGeometry, type PackedUpstream } from './packed-geometry.js';
import { loadSgemm } from './simd-gemm-provider.js';

/**
 * The sgemm a fused op runs on: OpenBLAS, else the wasm SIMD kernel (made here, before the op
 * takes any heap views). Throws naming `op` when neither is available.
 * @param op - the op's name, for the error message
 */
export function requireSgemm(op: string): SgemmProvider {
  const loaded = loadSgemm();
  if (!loaded.ok) throw new Error(`${op} needs an sgemm: ${loaded.reason}`);
  return loaded.chosen;
}

/**
 * Throws a {@link ShapeError} `<op>: <name> must be [<shape>], got [<actual>]` unless the leading
 * dimensions of `tensor` are `shape`.
 */
export function expectShape(op: string, name: string, tensor: tf.Tensor, shape: readonly number[]): void {
  if (!shape.every((d, i) => tensor.shape[i] === d)) throw new ShapeError(`${op}: ${name} must be [${shape.join(', ')}], got [${tensor.shape}]`);
}

/**
 * The packed geometry of a fused op's call: sequences and hidden size from its `[size, H]` initial
 * state, after checking that `batchSizes` starts at `size`, is non-increasing and stays >= 1
 * (a {@link ShapeError} naming `op` otherwise).
 */
export function checkedGeometry(op: string, initial: tf.Tensor2D, batchSizes: readonly number[]): PackedGeometry {
  const [size, hidden] = initial.shape;
  const expect = (ok: boolean, what: string): void => {
    if (!ok) throw new ShapeError(`${op}: ${what}`);
  };
  expect(batchSizes.length > 0 && batchSizes[0] === size, `batchSizes[0] must equal the ${size} initial states, got ${batchSizes[0]}`);
  expect(batchSizes.every((b, t) => b >= 1 && (t === 0 || b <= batchSizes[t - 1])), 'batchSizes must be non-increasing and >= 1');
  return { size, hidden, batchSizes, offsets: packedOffsets(batchSizes) };
}

/** What a fused op's forward pass gets: views of its inputs and output, and how to do the gate math. */
export interface FusedForwardCall {
  /** The four inputs' values, in the order of {@link FusedRecurrence.inputs} (heap views on wasm). */
  readonly inputs: readonly Float32Array[];
  /** The op's output `[events, H]` when it keeps the per-event outputs, else null. */
  readonly outputs: Float32Array | null;
  /** The op's output `[size, H]` (the running state) when it returns the final states, else undefined. */
  readonly final: Float32Array | undefined;
  /** The σ scratches of {@link FusedRecurrence.scratchLengths}; empty with the compiled gate math. */
  readonly activations: readonly GateActivation[];
  /** The compiled gate math, or null for the TypeScript loops over `activations`. */
  readonly native: NativeGates | null;
  /** Record the activations for the backward pass (a gradient is being recorded). */
  readonly keepTape: boolean;
}

/** One fused recurrent layer call, described for {@link fusedRecurrentOp}; `Tape` is what its forward pass records. */
export interface FusedRecurrence<Tape> {
  /** The op's name in error messages. */
  readonly op: string;
  /** The four differentiable inputs; their gradients come back in this order. */
  readonly inputs: readonly [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  /** Index in `inputs` of the recurrent weights, which the backward pass gets a copy of. */
  readonly weightIndex: 0 | 1 | 2 | 3;
  /** Return the state after every packed event `[events, H]` instead of the final states `[size, H]`. */
  readonly keepOutputs: boolean;
  /** Checks the inputs' shapes (a {@link ShapeError} naming the problem) and returns the packed geometry. */
  geometry(): PackedGeometry;
  /** Lengths of the σ scratches the TypeScript gate math needs (none are made for the compiled one). */
  scratchLengths(geometry: PackedGeometry): readonly number[];
  /** Runs the forward pass; returns its tape when `call.keepTape`, else null. */
  forward(blas: SgemmProvider, geometry: PackedGeometry, call: FusedForwardCall): Tape | null;
  /** Writes the four input gradients (shaped like the inputs) from the output's gradient. */
  backward(blas: SgemmProvider, geometry: PackedGeometry, tape: Tape, wh: Float32Array, upstream: PackedUpstream, grads: readonly Float32Array[], native: NativeGates | null): void;
  /** Gives a tape back to the buffer pool once its backward pass is done (or has failed). */
  release(tape: Tape): void;
}

/**
 * Runs a fused recurrent layer as ONE differentiable tfjs op: the forward pass and, once, its
 * gradient, on workspaces that read and write the wasm heap in place (fused-workspace.ts).
 * Needs an sgemm ({@link requireSgemm}); the shapes are checked before anything runs.
 */
export function fusedRecurrentOp<Tape>(layer: FusedRecurrence<Tape>): tf.Tensor2D {
  const { op: name, keepOutputs } = layer;
  const blas = requireSgemm(name);
  const geometry = layer.geometry();
  const { size, hidden } = geometry;
  const outputShape = keepOutputs ? [packedEvents(geometry), hidden] : [size, hidden];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const tensors = args.slice(0, 4).map((a) => {
      if (!(a instanceof tf.Tensor)) throw new Error(`${name}: expected tensor inputs`);
      return a;
    });
    // Keep the activations only when a gradient is being recorded (not for embedding inference).
    const keepTape = tf.engine().state.gradientDepth > 0;
    const native = nativeGates();
    const ws = openWorkspace(tensors, [outputShape], native !== null ? [] : layer.scratchLengths(geometry));
    let tape: Tape | null;
    let whCopy: Float32Array;
    try {
      // The backward pass runs later, when the heap views may be stale: it gets its own copy (H·3H or H·4H values).
      const wh = ws.inputs[layer.weightIndex]!;
      whCopy = keepTape ? Float32Array.from(wh) : wh;
      const output = ws.outputs[0]!;
      const call = { inputs: ws.inputs, outputs: keepOutputs ? output : null, final: keepOutputs ? undefined : output, activations: ws.activations, native, keepTape };
      tape = layer.forward(blas, geometry, call);
    } catch (error) {
      ws.abort();
      throw error;
    }
    const value = ws.finish()[0] as tf.Tensor2D;
    let consumed = false;
    const gradFunc = (dy: tf.Tensor2D): tf.Tensor[] => {
      if (tape === null) throw new Error(`${name}: no tape was recorded for this forward pass`);
      if (consumed) throw new Error(`${name}: the gradient of one forward pass was asked for twice (its tape went back to the pool)`);
      consumed = true;
      const recorded = tape;
      // The gradients have the inputs' shapes.
      const back = openWorkspace([dy], tensors.map((t) => t.shape), []);
      try {
        const upstream = back.inputs[0]!;
        layer.backward(blas, geometry, recorded, whCopy, keepOutputs ? { final: null, outputs: upstream } : { final: upstream, outputs: null }, back.outputs, native);
      } catch (error) {
        back.abort();
        throw error;
      } finally {
        // tfjs runs a gradient function once per recorded op: the tape is not needed again.
        layer.release(recorded);
      }
      return back.finish();
    };
    return { value, gradFunc };
  });
  return op(...layer.inputs);
}
