/**
 * `Slice`, `SplitV` and `Unpack` for the wasm backend that copy straight from the heap.
 *
 * The stock wasm `Slice` starts with `backend.readSync(x)`, which copies the WHOLE input out of the
 * heap before copying the slice, so one `tf.split` of a [35 540, 768] projection into 200 steps
 * copies 200 × 109 MB and took 42–52 s here (87% of a GRU train step). `SplitV` and `Unpack`
 * (`tf.unstack`, used by recurrent layers over time) call that same function once per output.
 * These replacements read a view of the input instead: cost proportional to the output.
 */
import { backend_util, slice_util, util, type DataType, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';
import { nativeGates } from './native-gates.js';
import { asWasmHeapBackend, memoryOffset, type WasmHeapBackend } from './wasm-heap.js';

type NumericView = Float32Array | Int32Array | Uint8Array;

function heapView(backend: WasmHeapBackend, tensor: TensorInfo, dtype: DataType, length: number): NumericView | null {
  const buffer = backend.wasm.HEAPU8.buffer;
  const offset = memoryOffset(backend, tensor);
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, offset, length);
    case 'int32':
      return new Int32Array(buffer, offset, length);
    case 'bool':
      return new Uint8Array(buffer, offset, length);
    default:
      return null;
  }
}

/** Runs shorter than this are copied element by element (see {@link copyBlock}). */
const SHORT_RUN = 64;

/**
 * Copies the block `begin`/`size` of `src` (shape `shape`, row-major) into `dst`. Trailing
 * dimensions taken whole merge into one contiguous run; a long run is one `set` call, a short one
 * a plain loop: `subarray` allocates a view object per run, and the column slices of a concat's
 * gradient (`[events, 33]` → `[events, 16]`, issue 16) made 20 000 of them per call, so that
 * allocation and its garbage collection cost more than the copy. Equally spaced runs of 4-byte
 * elements go to the compiled strided copy when it loads (native-gates.ts).
 */
export function copyBlock(src: NumericView, shape: readonly number[], begin: readonly number[], size: readonly number[], dst: NumericView): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[0];
    return;
  }
  const strides = util.computeStrides([...shape]);
  // Innermost dimension `inner` such that every dimension after it is taken whole.
  let inner = rank - 1;
  while (inner > 0 && begin[inner] === 0 && size[inner] === shape[inner]) inner--;
  const run = size.slice(inner).reduce((p, d) => p * d, 1);
  const stride = (d: number): number => (d === rank - 1 ? 1 : strides[d]);
  const base = begin.reduce((sum, b, d) => sum + b * stride(d), 0);
  const outer = size.slice(0, inner);
  const count = outer.reduce((p, d) => p * d, 1);
  const movers = inner === 1 && count > 1 ? nativeGates() : null;
  if (movers !== null && !(src instanceof Uint8Array) && !(dst instanceof Uint8Array)) {
    // Equally spaced runs (one outer dimension): one strided copy in C.
    movers.copyRows(count, run, src.subarray(base), stride(0), dst, run);
    return;
  }
  const index = new Array<number>(inner).fill(0);
  let from = base;
  const short = run < SHORT_RUN;
  for (let r = 0, to = 0; r < count; r++, to += run) {
    if (short) for (let i = 0; i < run; i++) dst[to + i] = src[from + i];
    else dst.set(src.subarray(from, from + run), to);
    // Odometer over the outer dimensions, tracking the source offset incrementally.
    for (let d = inner - 1; d >= 0; d--) {
      index[d]++;
      from += stride(d);
      if (index[d] < outer[d]) break;
      from -= index[d] * stride(d);
      index[d] = 0;
    }
  }
}

/** One slice on the heap; `null` when the dtype needs the stock path (strings, complex). */
function sliceOnHeap(backend: WasmHeapBackend, x: TensorInfo, begin: number[], size: number[]): TensorInfo | null {
  if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') return null;
  const out = backend.makeOutput(size, x.dtype);
  const total = util.sizeFromShape(size);
  if (total === 0) return out;
  // Views only after makeOutput: that allocation may have grown (and detached) the heap.
  const src = heapView(backend, x, x.dtype, util.sizeFromShape(x.shape));
  const dst = heapView(backend, out, x.dtype, total);
  if (src === null || dst === null) throw new Error(`unreachable dtype ${x.dtype}`);
  copyBlock(src, x.shape, begin, size, dst);
  return out;
}

function numbers(attrs: NamedAttrMap | undefined, name: string): number | number[] | undefined {
  const value = attrs?.[name];
  if (typeof value === 'number') return value;
  if (Array.isArray(value) && value.every((v): v is number => typeof v === 'number')) return value;
  return undefined;
}

/** `Slice` reading a heap view of its input, falling back to `stock` for other dtypes. */
export function heapSliceKernel(stock: KernelFunc): KernelFunc {
  return (params) => {
    const backend = asWasmHeapBackend(params.backend);
    const x = params.inputs.x;
    const begin = numbers(params.attrs, 'begin');
    if (backend === null || x === undefined || begin === undefined) return stock(params);
    const [begin_, size_] = slice_util.parseSliceParams(x, begin, numbers(params.attrs, 'size'));
    return sliceOnHeap(backend, x, begin_, size_) ?? stock(params);
  };
}

/** `SplitV` as consecutive heap slices along the axis. */
export function heapSplitVKernel(stock: KernelFunc): KernelFunc {
  return (params) => {
    const backend = asWasmHeapBackend(params.backend);
    const x = params.inputs.x;
    const sizes = numbers(params.attrs, 'numOrSizeSplits');
    const axisAttr = numbers(params.attrs, 'axis');
    if (backend === null || x === undefined || sizes === undefined || axisAttr === undefined) return stock(params);
    if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') return stock(params);
    const axis = util.parseAxisParam(axisAttr, x.shape)[0];
    const splitSizes = backend_util.prepareSplitSize(x, sizes, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return splitSizes.map((s) => {
      const size = [...x.shape];
      size[axis] = s;
      const part = sliceOnHeap(backend, x, [...begin], size);
      begin[axis] += s;
      if (part === null) throw new Error(`unreachable dtype ${x.dtype}`);
      return part;
    });
  };
}

/** `Unpack` (`tf.unstack`) as one heap slice per index along the axis. */
export function heapUnpackKernel(stock: KernelFunc): KernelFunc {
  return (params) => {
    const backend = asWasmHeapBackend(params.backend);
    const value = params.inputs.value;
    const axisAttr = numbers(params.attrs, 'axis');
    if (backend === null || value === undefined || typeof axisAttr !== 'number') return stock(params);
    if (value.dtype !== 'float32' && value.dtype !== 'int32' && value.dtype !== 'bool') return stock(params);
    const rank = value.shape.length;
    const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
    const outShape = value.shape.filter((_, d) => d !== axis);
    const size = [...value.shape];
    size[axis] = 1;
    const outputs: TensorInfo[] = [];
    for (let i = 0; i < value.shape[axis]; i++) {
      const begin = new Array<number>(rank).fill(0);
      begin[axis] = i;
      const part = sliceOnHeap(backend, value, begin, size);
      if (part === null) throw new Error(`unreachable dtype ${value.dtype}`);
      // Same as the stock kernel: the slice's data under the unpacked (rank - 1) shape.
      outputs.push({ dataId: part.dataId, dtype: part.dtype, shape: outShape });
    }
    return outputs;
  };
}
