/**
 * `Concat` for the wasm backend copying on the heap without a view object per row.
 *
 * The stock kernel copies every row of every input with `outVals.set(vals.subarray(…))`: for the
 * event encoder's `[events, 16] ‖ [events, 16] ‖ [events, 1]` that is 60 000 `subarray` objects per
 * call (issue 16: 3.5% of a GRU train step, plus their garbage collection). Here short rows are
 * copied element by element and long ones with one `set`, or (float32/int32) every input with one
 * compiled strided copy when it loads (native-gates.ts); the values are the same copies.
 */
import { backend_util, util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { nativeGates } from './native-gates.js';
import { asWasmHeapBackend, memoryOffset } from './wasm-heap.js';

/** Rows shorter than this are copied element by element. */
const SHORT_ROW = 64;

/** `Concat` on heap views for float32/int32/bool inputs, falling back to `stock` otherwise. */
export function heapConcatKernel(stock: KernelFunc): KernelFunc {
  return (params) => {
    const backend = asWasmHeapBackend(params.backend);
    const inputs = params.inputs as unknown as TensorInfo[];
    const axisAttr = params.attrs?.axis;
    if (backend === null || !Array.isArray(inputs) || inputs.length === 0 || typeof axisAttr !== 'number') return stock(params);
    const dtype = inputs[0]!.dtype;
    if ((dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') || inputs.some((t) => t.dtype !== dtype)) return stock(params);
    const axis = util.parseAxisParam(axisAttr, inputs[0]!.shape)[0]!;
    backend_util.assertParamsConsistent(inputs.map((t) => t.shape), axis);
    const parts = inputs.filter((t) => util.sizeFromShape(t.shape) > 0);
    // One non-empty input: the stock kernel returns it through Identity (no copy).
    if (parts.length <= 1) return stock(params);
    const outShape = backend_util.computeOutShape(inputs.map((t) => t.shape), axis);
    const out = backend.makeOutput(outShape, dtype);
    const rows = util.sizeFromShape(parts[0]!.shape.slice(0, axis));
    const widths = parts.map((t) => util.sizeFromShape(t.shape.slice(axis)));
    const total = widths.reduce((s, w) => s + w, 0);
    // Views only after makeOutput: that allocation may have grown (and detached) the heap.
    const buffer = backend.wasm.HEAPU8.buffer;
    const view = (t: TensorInfo, length: number): Float32Array | Int32Array | Uint8Array => {
      const offset = memoryOffset(backend, t);
      return dtype === 'float32' ? new Float32Array(buffer, offset, length) : dtype === 'int32' ? new Int32Array(buffer, offset, length) : new Uint8Array(buffer, offset, length);
    };
    const dst = view(out, rows * total);
    const movers = dtype === 'bool' ? null : nativeGates();
    let column = 0;
    parts.forEach((t, p) => {
      const width = widths[p]!;
      const src = view(t, rows * width);
      if (movers !== null && !(src instanceof Uint8Array) && !(dst instanceof Uint8Array)) {
        movers.copyRows(rows, width, src, width, dst.subarray(column), total);
      } else if (width < SHORT_ROW) {
        for (let r = 0; r < rows; r++) {
          const from = r * width;
          const to = r * total + column;
          for (let i = 0; i < width; i++) dst[to + i] = src[from + i]!;
        }
      } else {
        for (let r = 0; r < rows; r++) dst.set(src.subarray(r * width, (r + 1) * width), r * total + column);
      }
      column += width;
    });
    return out;
  };
}
