/**
 * Memory for a fused whole-sequence op (fused-gru.ts, fused-lstm.ts): its inputs, its outputs and
 * its gate scratch as Float32Arrays, without copies on the wasm backend.
 *
 * On wasm, outputs and scratch are allocated on the heap first, and only then are views taken of
 * them and of the inputs' own heap memory, so no later allocation can detach a view while the op
 * runs (the op must not allocate on the backend between {@link openWorkspace} and `finish`). The
 * outputs become tensors in place. Reading the inputs with `dataSync` and the outputs with
 * `tf.tensor` would copy each once more: ~100 MB per array at 320 sequences × 100 events.
 * On any other backend the same interface copies (`dataSync` in, `tf.tensor` out).
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { jsGateActivation, type GateActivation } from './gate-activation.js';
import { asWasmKernelBackend, wasmTensorId, type WasmKernelBackend } from './wasm-heap.js';

/** Open memory of one fused op call. */
export interface Workspace {
  /** The input tensors' values, in the order given (read-only by convention). */
  readonly inputs: readonly Float32Array[];
  /** The outputs, in the order given; their initial contents are undefined. */
  readonly outputs: readonly Float32Array[];
  /** One logistic-function scratch per requested length. */
  readonly activations: readonly GateActivation[];
  /** Frees the scratch and returns the outputs as tensors. Call once, after the last write. */
  finish(): tf.Tensor[];
  /** Frees everything (outputs included), for the error path. */
  abort(): void;
}

/**
 * Opens the memory of one fused op call.
 * @param inputs - tensors to read
 * @param outputShapes - shapes of the float32 outputs to allocate
 * @param scratchLengths - one gate-activation scratch of each length (values, ≥ 1)
 */
export function openWorkspace(inputs: readonly tf.Tensor[], outputShapes: readonly (readonly number[])[], scratchLengths: readonly number[]): Workspace {
  const wasm = asWasmKernelBackend(tf.backend());
  if (wasm !== null && inputs.every((t) => t.dtype === 'float32')) return wasmWorkspace(wasm, inputs, outputShapes, scratchLengths);
  const outputs = outputShapes.map((shape) => new Float32Array(shape.reduce((p, d) => p * d, 1)));
  return {
    inputs: inputs.map((t) => t.dataSync() as Float32Array),
    outputs,
    activations: scratchLengths.map((length) => jsGateActivation(length)),
    finish: () => outputs.map((values, k) => tf.tensor(values, [...outputShapes[k]!])),
    abort: () => {},
  };
}

function wasmWorkspace(
  wasm: WasmKernelBackend,
  inputs: readonly tf.Tensor[],
  outputShapes: readonly (readonly number[])[],
  scratchLengths: readonly number[],
): Workspace {
  const outputInfos = outputShapes.map((shape) => wasm.makeOutput([...shape], 'float32'));
  // Two heap tensors (pre-activation, activation) per scratch; the wasm `Sigmoid` runs on whole tensors.
  const scratch = scratchLengths.map((length): [TensorInfo, TensorInfo] => [wasm.makeOutput([length], 'float32'), wasm.makeOutput([length], 'float32')]);
  // Views only now: every allocation above may have grown (and detached) the heap buffer.
  const buffer = wasm.wasm.HEAPU8.buffer;
  const view = (info: TensorInfo): Float32Array => {
    const data = wasm.dataIdMap.get(info.dataId);
    if (data === undefined) throw new Error('fused op: a tensor is not on the wasm backend');
    return new Float32Array(buffer, data.memoryOffset, info.shape.reduce((p, d) => p * d, 1));
  };
  const sigmoid = wasm.wasm.cwrap('Sigmoid', null, ['number', 'number']);
  const activations = scratch.map(([input, output]): GateActivation => {
    const [inId, outId] = [wasmTensorId(wasm, input), wasmTensorId(wasm, output)];
    return { input: view(input), output: view(output), sigmoid: () => sigmoid(inId, outId), dispose: () => {} };
  });
  const freeScratch = (): void => {
    for (const pair of scratch) for (const info of pair) wasm.disposeData(info.dataId, true);
  };
  return {
    inputs: inputs.map(view),
    outputs: outputInfos.map(view),
    activations,
    finish: () => {
      freeScratch();
      return outputInfos.map((info) => tf.engine().makeTensorFromTensorInfo(info));
    },
    abort: () => {
      freeScratch();
      for (const info of outputInfos) wasm.disposeData(info.dataId, true);
    },
  };
}
