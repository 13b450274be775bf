/**
 * Generates the WebAssembly SIMD module behind simd-gemm.ts: a packed single-precision GEMM in the
 * GotoBLAS shape. The driver packs a block of op(A) into row panels of {@link GEMM_MR} and a block
 * of op(B) into column panels of {@link GEMM_NR} (zero-padded), then `macro` runs an MR×NR register
 * tile (MR·NR/4 f32x4 accumulators) over every panel pair and writes `alpha·acc + beta·C`.
 *
 * Packing makes every transpose the same problem: the microkernel only ever reads contiguous
 * panels, so `transA`/`transB`/strides are just the two strides given to the pack functions.
 * Wasm SIMD (without relaxed-simd) has no fused multiply-add: each step is f32x4.mul + f32x4.add.
 */
import { assembleModule, F32, FunctionBuilder, I32, type Local, V128 } from './simd-gemm-assembler.js';

/** The part of the WebAssembly JS API used here (the project's TypeScript lib has no DOM/wasm types). */
export interface WasmMemory {
  /** The current buffer; replaced (old one detached) when the memory grows. */
  readonly buffer: ArrayBuffer;
  /** Grows by `pages` of 64 KiB; returns the old size in pages. */
  grow(pages: number): number;
}

interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  readonly Memory: new (descriptor: { initial: number }) => WasmMemory;
}

/** `globalThis.WebAssembly`, typed by {@link WasmApi}. */
export const wasmApi: WasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Rows of the register tile (and of an A panel). */
export const GEMM_MR = 4;
/** f32x4 vectors across a register tile: the tile is {@link GEMM_MR} × 4·GEMM_NV floats. */
export const GEMM_NV = 2;
/** Columns of the register tile (and of a B panel). */
export const GEMM_NR = 4 * GEMM_NV;

/** The module's exports (all addresses are byte offsets in the imported memory, strides in floats). */
export interface SimdGemmExports {
  /**
   * Packs `count` items (rows of op(A) or columns of op(B)) of `depth` values each into panels of
   * `width` items: `dst[panel][d][w] = src[(panel·width + w)·itemStride + d·depthStride]`, zero
   * past `count`. `packA` has width MR, `packB` width NR.
   */
  packA(src: number, itemStride: number, depthStride: number, count: number, depth: number, dst: number): void;
  /** See {@link SimdGemmExports.packA}; width NR. */
  packB(src: number, itemStride: number, depthStride: number, count: number, depth: number, dst: number): void;
  /**
   * `C[mc×nc] = alpha·Ap·Bp + beta·C` (beta = 0: C is not read) from packed panels of depth `kc`
   * (>= 1). `tile` is MR·NR floats of scratch for the partial tiles at the edges.
   */
  macro(ap: number, bp: number, c: number, ldc: number, mc: number, nc: number, kc: number, alpha: number, beta: number, tile: number): void;
}

/** `local = min(width, total - start)`. */
function remaining(f: FunctionBuilder, out: Local, width: number, total: Local, start: Local): void {
  f.i32(width).get(total).get(start).sub().i32(width).get(total).get(start).sub().ltS().select().set(out);
}

/** `target += amount` (an i32 constant). */
function increment(f: FunctionBuilder, target: Local, amount: number): void {
  f.get(target).i32(amount).add().set(target);
}

/** `target += amount` (another local; a Local is a number at run time, hence a separate function). */
function incrementBy(f: FunctionBuilder, target: Local, amount: Local): void {
  f.get(target).get(amount).add().set(target);
}

function packFunction(width: number): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32], []);
  const [src, itemStride, depthStride, count, depth, dstParam] = [0, 1, 2, 3, 4, 5].map((i) => f.param(i));
  const itemBytes = f.local(I32);
  const depthBytes = f.local(I32);
  const dst = f.local(I32);
  const first = f.local(I32);
  const n = f.local(I32);
  const d = f.local(I32);
  const sp = f.local(I32);
  const w = f.local(I32);
  f.get(itemStride).i32(4).mul().set(itemBytes);
  f.get(depthStride).i32(4).mul().set(depthBytes);
  f.get(dstParam).set(dst);
  const x = Array.from({ length: 4 }, () => f.local(V128));
  const t = Array.from({ length: 4 }, () => f.local(V128));
  f.i32(0).set(first);
  f.block(() => f.loop(() => {
    f.get(first).get(count).geS().brIf(1);
    remaining(f, n, width, count, first);
    f.i32(0).set(d);
    // Items strided, depth contiguous (rows of op(A) without transpose, columns of op(B) with
    // one) and a full panel: 4 depths × 4 items at a time, a 4×4 transpose in registers.
    f.get(depthStride).i32(1).eq().get(n).i32(width).eq().and();
    f.if(() => {
      f.block(() => f.loop(() => {
        f.get(d).i32(4).add().get(depth).geS().brIf(1);
        for (let group = 0; group < width / 4; group++) {
          f.get(src).get(first).i32(4 * group).add().get(itemBytes).mul().add().get(d).i32(4).mul().add().set(sp);
          for (let i = 0; i < 4; i++) {
            f.get(sp).v128Load().set(x[i]);
            if (i < 3) incrementBy(f, sp, itemBytes);
          }
          f.get(x[0]).get(x[1]).f32x4Shuffle([0, 4, 1, 5]).set(t[0]);
          f.get(x[0]).get(x[1]).f32x4Shuffle([2, 6, 3, 7]).set(t[1]);
          f.get(x[2]).get(x[3]).f32x4Shuffle([0, 4, 1, 5]).set(t[2]);
          f.get(x[2]).get(x[3]).f32x4Shuffle([2, 6, 3, 7]).set(t[3]);
          const rows: Array<[Local, Local, [number, number, number, number]]> = [
            [t[0], t[2], [0, 1, 4, 5]],
            [t[0], t[2], [2, 3, 6, 7]],
            [t[1], t[3], [0, 1, 4, 5]],
            [t[1], t[3], [2, 3, 6, 7]],
          ];
          rows.forEach(([lo, hi, lanes], q) => f.get(dst).get(lo).get(hi).f32x4Shuffle(lanes).v128Store(4 * (q * width + 4 * group)));
        }
        increment(f, dst, 4 * width * 4);
        increment(f, d, 4);
        f.br(0);
      }));
    });
    f.block(() => f.loop(() => {
      f.get(d).get(depth).geS().brIf(1);
      f.get(src).get(first).get(itemBytes).mul().add().get(d).get(depthBytes).mul().add().set(sp);
      // Contiguous full panel row (op(B) without transpose, op(A) transposed): vector copies.
      f.get(itemStride).i32(1).eq().get(n).i32(width).eq().and();
      f.if(
        () => {
          for (let v = 0; v < width / 4; v++) f.get(dst).get(sp).v128Load(16 * v).v128Store(16 * v);
        },
        () => {
          f.i32(0).set(w);
          f.block(() => f.loop(() => {
            f.get(w).get(n).geS().brIf(1);
            f.get(dst).get(w).i32(4).mul().add().get(sp).f32Load().f32Store();
            incrementBy(f, sp, itemBytes);
            increment(f, w, 1);
            f.br(0);
          }));
          f.block(() => f.loop(() => {
            f.get(w).i32(width).geS().brIf(1);
            f.get(dst).get(w).i32(4).mul().add().f32(0).f32Store();
            increment(f, w, 1);
            f.br(0);
          }));
        },
      );
      increment(f, dst, width * 4);
      increment(f, d, 1);
      f.br(0);
    }));
    increment(f, first, width);
    f.br(0);
  }));
  return f;
}

function macroFunction(): FunctionBuilder {
  const MR = GEMM_MR;
  const NV = GEMM_NV;
  const NR = GEMM_NR;
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, F32, F32, I32], []);
  const [ap, bp, c, ldc, mc, nc, kc, alpha, beta, tile] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => f.param(i));
  const [jr, ir, rows, cols, pa, pb, k, cp, rp, r, j, ldcBytes] = Array.from({ length: 12 }, () => f.local(I32));
  const valpha = f.local(V128);
  const vbeta = f.local(V128);
  const acc = Array.from({ length: MR }, () => Array.from({ length: NV }, () => f.local(V128)));
  const bv = Array.from({ length: NV }, () => f.local(V128));
  const av = f.local(V128);
  f.get(ldc).i32(4).mul().set(ldcBytes);
  f.get(alpha).f32x4Splat().set(valpha);
  f.get(beta).f32x4Splat().set(vbeta);
  f.i32(0).set(jr);
  f.block(() => f.loop(() => {
    f.get(jr).get(nc).geS().brIf(1);
    remaining(f, cols, NR, nc, jr);
    f.i32(0).set(ir);
    f.block(() => f.loop(() => {
      f.get(ir).get(mc).geS().brIf(1);
      remaining(f, rows, MR, mc, ir);
      for (const row of acc) for (const a of row) f.v128Zero().set(a);
      f.get(ap).get(ir).get(kc).mul().i32(4).mul().add().set(pa);
      f.get(bp).get(jr).get(kc).mul().i32(4).mul().add().set(pb);
      // Not unrolled: unrolling the depth loop 2, 4 or 8 times measured 30–50% slower (V8 then
      // spills the accumulators), and so did wider tiles (6×8, 4×12, 8×4, 4×16).
      f.get(kc).set(k);
      f.loop(() => {
        bv.forEach((b, v) => f.get(pb).v128Load(16 * v).set(b));
        for (let i = 0; i < MR; i++) {
          f.get(pa).v128Load32Splat(4 * i).set(av);
          for (let v = 0; v < NV; v++) f.get(acc[i][v]).get(av).get(bv[v]).f32x4Mul().f32x4Add().set(acc[i][v]);
        }
        increment(f, pa, MR * 4);
        increment(f, pb, NR * 4);
        f.get(k).i32(1).sub().tee(k).brIf(0);
      });
      f.get(c).get(ir).get(ldcBytes).mul().add().get(jr).i32(4).mul().add().set(cp);
      f.get(rows).i32(MR).eq().get(cols).i32(NR).eq().and();
      f.if(
        () => {
          f.get(cp).set(rp);
          f.get(beta).f32(0).f32Eq();
          f.if(
            () => {
              for (let i = 0; i < MR; i++) {
                for (let v = 0; v < NV; v++) f.get(rp).get(acc[i][v]).get(valpha).f32x4Mul().v128Store(16 * v);
                incrementBy(f, rp, ldcBytes);
              }
            },
            () => {
              for (let i = 0; i < MR; i++) {
                for (let v = 0; v < NV; v++) {
                  f.get(rp).get(acc[i][v]).get(valpha).f32x4Mul().get(rp).v128Load(16 * v).get(vbeta).f32x4Mul().f32x4Add().v128Store(16 * v);
                }
                incrementBy(f, rp, ldcBytes);
              }
            },
          );
        },
        () => {
          // Edge tile: spill alpha·acc to the scratch tile, then copy the valid part into C.
          for (let i = 0; i < MR; i++) {
            for (let v = 0; v < NV; v++) f.get(tile).get(acc[i][v]).get(valpha).f32x4Mul().v128Store((i * NR + 4 * v) * 4);
          }
          f.i32(0).set(r);
          f.block(() => f.loop(() => {
            f.get(r).get(rows).geS().brIf(1);
            f.get(cp).get(r).get(ldcBytes).mul().add().set(rp);
            f.i32(0).set(j);
            f.block(() => f.loop(() => {
              f.get(j).get(cols).geS().brIf(1);
              const tileValue = (): void => {
                f.get(tile).get(r).i32(NR).mul().get(j).add().i32(4).mul().add().f32Load();
              };
              f.get(beta).f32(0).f32Eq();
              f.if(
                () => {
                  f.get(rp).get(j).i32(4).mul().add();
                  tileValue();
                  f.f32Store();
                },
                () => {
                  f.get(rp).get(j).i32(4).mul().add();
                  tileValue();
                  f.get(rp).get(j).i32(4).mul().add().f32Load().get(beta).f32Mul().f32Add();
                  f.f32Store();
                },
              );
              increment(f, j, 1);
              f.br(0);
            }));
            increment(f, r, 1);
            f.br(0);
          }));
        },
      );
      increment(f, ir, MR);
      f.br(0);
    }));
    increment(f, jr, NR);
    f.br(0);
  }));
  return f;
}

let compiled: object | null = null;

/** The compiled module (generated and compiled once per process). */
export function simdGemmModule(): object {
  compiled ??= new wasmApi.Module(
    assembleModule([
      { name: 'packA', fn: packFunction(GEMM_MR) },
      { name: 'packB', fn: packFunction(GEMM_NR) },
      { name: 'macro', fn: macroFunction() },
    ]),
  );
  return compiled;
}

/** Instantiates the module on `memory` (the tfjs wasm heap, or a memory of its own). */
export function instantiateSimdGemm(memory: WasmMemory): SimdGemmExports {
  const instance = new wasmApi.Instance(simdGemmModule(), { env: { memory } });
  const { packA, packB, macro } = instance.exports;
  if (typeof packA !== 'function' || typeof packB !== 'function' || typeof macro !== 'function') {
    throw new Error('simd-gemm: the generated module lacks its exports');
  }
  return { packA, packB, macro } as SimdGemmExports;
}
