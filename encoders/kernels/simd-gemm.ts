/**
 * A WebAssembly SIMD `sgemm` with the signature of OpenBLAS' `cblas_sgemm` ({@link Sgemm}): the
 * fallback for machines without OpenBLAS (a fresh `npm ci` has no libopenblas), so the fused GRU
 * and the BatchMatMul replacements run on it instead of the stock tfjs kernels.
 *
 * Two engines share the generated module (simd-gemm-module.ts):
 * - on the tfjs wasm heap: when A, B and C are all views of the wasm backend's memory (tensor
 *   memory, heap scratch), the kernel reads and writes them in place, no copies. Its packing
 *   scratch is allocated once, when the engine is made, so a call never allocates on the heap
 *   (which could grow it and detach the caller's views);
 * - on a memory of its own: any other Float32Array (plain JS arrays) is copied in, and C back out.
 *
 * Blocking (GotoBLAS): for each NC-column block of op(B), each KC-deep slice is packed once
 * (~1 MB, L2/L3), each MC-row block of op(A) is packed (~128 KB, L2), and the macro kernel runs
 * its MR×NR register tile over them.
 */
import { CBLAS_NO_TRANS, CBLAS_ROW_MAJOR, CBLAS_TRANS, type Sgemm } from './openblas.js';
import { GEMM_MR, GEMM_NR, instantiateSimdGemm, type SimdGemmExports, wasmApi, type WasmMemory } from './simd-gemm-module.js';

/** Rows of op(A) packed at a time (a multiple of MR). */
export const GEMM_MC = 128;
/** Depth packed at a time. */
export const GEMM_KC = 256;
/** Columns of op(B) packed at a time (a multiple of NR). */
export const GEMM_NC = 1024;

const TILE_FLOATS = GEMM_MR * GEMM_NR;
const AP_FLOATS = GEMM_MC * GEMM_KC;
const BP_FLOATS = GEMM_KC * GEMM_NC;
/** Bytes of packing scratch one engine needs (tile + A block + B block). */
export const GEMM_SCRATCH_BYTES = 4 * (TILE_FLOATS + AP_FLOATS + BP_FLOATS);
const PAGE = 65536;

interface Engine {
  readonly memory: WasmMemory;
  readonly kernel: SimdGemmExports;
  /** Byte offsets of the scratch: the edge tile, the packed A block, the packed B block. */
  readonly tile: number;
  readonly ap: number;
  readonly bp: number;
}

/** How an operand is laid out: element (i, j) of op(X) is at `base + i·rowStride + j·colStride`. */
interface Operand {
  readonly rowStride: number;
  readonly colStride: number;
  /** Floats from the first to one past the last element used. */
  readonly extent: number;
}

function operand(transposed: boolean, rows: number, cols: number, ld: number, label: string, array: Float32Array): Operand {
  const storedRows = transposed ? cols : rows;
  const storedCols = transposed ? rows : cols;
  if (ld < Math.max(1, storedCols)) throw new RangeError(`simd sgemm: ld${label} = ${ld} is smaller than the ${storedCols} stored columns`);
  const extent = (storedRows - 1) * ld + storedCols;
  if (array.length < extent) throw new RangeError(`simd sgemm: ${label} has ${array.length} floats, the product reads ${extent}`);
  return transposed ? { rowStride: 1, colStride: ld, extent } : { rowStride: ld, colStride: 1, extent };
}

function engineOn(memory: WasmMemory, scratch: number): Engine {
  const tile = scratch;
  return { memory, kernel: instantiateSimdGemm(memory), tile, ap: tile + 4 * TILE_FLOATS, bp: tile + 4 * (TILE_FLOATS + AP_FLOATS) };
}

/** Runs the blocked product on byte offsets `a`, `b`, `c` of `engine.memory`. */
function run(engine: Engine, m: number, n: number, k: number, alpha: number, a: number, opA: Operand, b: number, opB: Operand, beta: number, c: number, ldc: number): void {
  const { kernel, ap, bp, tile } = engine;
  for (let jc = 0; jc < n; jc += GEMM_NC) {
    const nc = Math.min(GEMM_NC, n - jc);
    for (let pc = 0; pc < k; pc += GEMM_KC) {
      const kc = Math.min(GEMM_KC, k - pc);
      // op(B)[pc.., jc..]: items are its columns (stride colStride), depth runs down its rows.
      kernel.packB(b + 4 * (pc * opB.rowStride + jc * opB.colStride), opB.colStride, opB.rowStride, nc, kc, bp);
      // Later depth slices accumulate onto the first one's result.
      const betaHere = pc === 0 ? beta : 1;
      for (let ic = 0; ic < m; ic += GEMM_MC) {
        const mc = Math.min(GEMM_MC, m - ic);
        kernel.packA(a + 4 * (ic * opA.rowStride + pc * opA.colStride), opA.rowStride, opA.colStride, mc, kc, ap);
        kernel.macro(ap, bp, c + 4 * (ic * ldc + jc), ldc, mc, nc, kc, alpha, betaHere, tile);
      }
    }
  }
}

/** `C = beta·C` over the m×n block (the whole product when k = 0 or alpha = 0); beta = 0 writes zeros. */
function scaleOnly(m: number, n: number, beta: number, c: Float32Array, ldc: number): void {
  for (let i = 0; i < m; i++) {
    const row = c.subarray(i * ldc, i * ldc + n);
    if (beta === 0) row.fill(0);
    else if (beta !== 1) for (let j = 0; j < n; j++) row[j] *= beta;
  }
}

/** Where the tfjs wasm heap is and how to allocate on it (Emscripten's `asm.memory` and `_malloc`). */
export interface WasmHeapAccess {
  /** The backend module's linear memory. */
  readonly memory: WasmMemory;
  /** Allocates `bytes` on that memory and returns the byte offset. */
  malloc(bytes: number): number;
}

/** The memory and allocator of a tfjs wasm backend, or `null` when `backend` does not expose them. */
export function wasmHeapAccess(backend: unknown): WasmHeapAccess | null {
  if (typeof backend !== 'object' || backend === null || !('wasm' in backend)) return null;
  const wasm: unknown = backend.wasm;
  if (typeof wasm !== 'object' || wasm === null || !('asm' in wasm) || !('_malloc' in wasm)) return null;
  const { asm, _malloc: malloc } = wasm;
  if (typeof asm !== 'object' || asm === null || !('memory' in asm) || !(asm.memory instanceof wasmApi.Memory)) return null;
  if (typeof malloc !== 'function') return null;
  const memory = asm.memory;
  return { memory, malloc: (bytes) => Number(malloc(bytes)) };
}

/** A SIMD sgemm and what it used, for benchmarks and tests. */
export interface SimdSgemm {
  /** The product, callable exactly like OpenBLAS' `cblas_sgemm` (row-major only). */
  readonly sgemm: Sgemm;
  /** Whether operands on the tfjs heap are used in place (else every call copies). */
  readonly inPlaceOnHeap: boolean;
  /** Calls that ran in place on the tfjs heap / that copied through the engine's own memory. */
  readonly calls: { inPlace: number; copied: number };
}

/**
 * Makes a SIMD sgemm. With `heap` (see {@link wasmHeapAccess}), operands that are all views of
 * that memory are used in place; its packing scratch ({@link GEMM_SCRATCH_BYTES}) is allocated
 * there now, so call this before taking heap views. Throws only if WebAssembly SIMD is missing.
 */
export function createSimdSgemm(heap: WasmHeapAccess | null = null): SimdSgemm {
  const heapEngine = heap === null ? null : engineOn(heap.memory, align16(heap.malloc(GEMM_SCRATCH_BYTES + 16)));
  const own = new wasmApi.Memory({ initial: Math.ceil(GEMM_SCRATCH_BYTES / PAGE) + 1 });
  const ownEngine = engineOn(own, 0);
  const calls = { inPlace: 0, copied: 0 };
  const sgemm: Sgemm = (order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) => {
    if (order !== CBLAS_ROW_MAJOR) throw new RangeError(`simd sgemm: only row-major order (${CBLAS_ROW_MAJOR}) is supported, got ${order}`);
    for (const [label, flag] of [['transA', transA], ['transB', transB]] as const) {
      if (flag !== CBLAS_NO_TRANS && flag !== CBLAS_TRANS) throw new RangeError(`simd sgemm: ${label} must be ${CBLAS_NO_TRANS} or ${CBLAS_TRANS}, got ${flag}`);
    }
    if (m <= 0 || n <= 0) return;
    const opC = operand(false, m, n, ldc, 'c', c);
    if (k <= 0 || alpha === 0) {
      scaleOnly(m, n, beta, c, ldc);
      return;
    }
    const opA = operand(transA === CBLAS_TRANS, m, k, lda, 'a', a);
    const opB = operand(transB === CBLAS_TRANS, k, n, ldb, 'b', b);
    if (heapEngine !== null) {
      const buffer = heapEngine.memory.buffer;
      if (a.buffer === buffer && b.buffer === buffer && c.buffer === buffer) {
        run(heapEngine, m, n, k, alpha, a.byteOffset, opA, b.byteOffset, opB, beta, c.byteOffset, ldc);
        calls.inPlace++;
        return;
      }
    }
    // Own memory: scratch, then A, B, C copies (16-byte aligned starts).
    const aAt = GEMM_SCRATCH_BYTES;
    const bAt = aAt + align16(4 * opA.extent);
    const cAt = bAt + align16(4 * opB.extent);
    const end = cAt + align16(4 * opC.extent);
    if (own.buffer.byteLength < end) own.grow(Math.ceil((end - own.buffer.byteLength) / PAGE));
    const buffer = own.buffer;
    new Float32Array(buffer, aAt, opA.extent).set(a.subarray(0, opA.extent));
    new Float32Array(buffer, bAt, opB.extent).set(b.subarray(0, opB.extent));
    const cCopy = new Float32Array(buffer, cAt, opC.extent);
    if (beta !== 0 || ldc !== n) cCopy.set(c.subarray(0, opC.extent));
    run(ownEngine, m, n, k, alpha, aAt, opA, bAt, opB, beta, cAt, ldc);
    c.set(cCopy);
    calls.copied++;
  };
  return { sgemm, inPlaceOnHeap: heapEngine !== null, calls };
}

function align16(bytes: number): number {
  return (bytes + 15) & ~15;
}
