/**
 * `UnsortedSegmentSum` for the wasm backend, written in JavaScript on the backend's heap views.
 * tfjs-backend-wasm 4.22 has no such kernel, yet it is the gradient of `tf.gather`, so without it no
 * embedding table can train on wasm (tfjs#8082). Semantics follow TensorFlow: rows whose segment id is
 * negative or >= numSegments are dropped; empty segments are 0. Float32 sums run in the compiled
 * helper of native-gates.ts when it loads (same row order).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nativeGates } from './native-gates.js';

const KERNEL = 'UnsortedSegmentSum';

/** Registers the kernel for `wasm` once; safe to call again. */
export function registerUnsortedSegmentSumForWasm(): void {
  if (tf.getKernel(KERNEL, 'wasm') !== undefined) return;
  tf.registerKernel({ kernelName: KERNEL, backendName: 'wasm', kernelFunc: unsortedSegmentSum as tf.KernelFunc });
}

function unsortedSegmentSum(args: {
  inputs: { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  backend: BackendWasm;
  attrs: { numSegments: number };
}): tf.TensorInfo {
  const { x, segmentIds } = args.inputs;
  const { numSegments } = args.attrs;
  const backend = args.backend;
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const innerShape = x.shape.slice(segmentIds.shape.length);
  const inner = innerShape.reduce((a, b) => a * b, 1);
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
  // makeOutput may grow the wasm heap, which detaches older views: take every view after it.
  const result = backend.typedArrayFromHeap(out);
  const values = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const movers = nativeGates();
  if (movers !== null && result instanceof Float32Array && values instanceof Float32Array && ids instanceof Int32Array) {
    // The same row-order sums in compiled code (the loop below converts each float to a double and back).
    movers.segmentSum(rows, inner, values, ids, numSegments, result);
    return out;
  }
  result.fill(0);
  for (let r = 0; r < rows; r++) {
    const segment = ids[r]!;
    if (segment < 0 || segment >= numSegments) continue;
    const src = r * inner;
    const dst = segment * inner;
    for (let k = 0; k < inner; k++) result[dst + k]! += values[src + k]!;
  }
  return out;
}
