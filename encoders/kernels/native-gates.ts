/**
 * The fused GRU / LSTM step's elementwise gate math in C (rnn-gates.c), compiled once per machine
 * with the system gcc and loaded through koffi. Measured at 320 × 256 the scalar JavaScript loops
 * took as long as the OpenBLAS products they surround; gcc vectorises them (AVX2 / AVX-512 with
 * glibc's vector `expf`).
 *
 * Optional in every way: without gcc, koffi or a writable cache folder, or with
 * `MELES_NATIVE_GATES=0`, {@link loadNativeGates} says why and the TypeScript loops run instead
 * (same equations, same results within float rounding). The library is cached in a folder of the
 * OS temp folder that only this user may write (checked before loading), named by a hash of the
 * source, flags and platform, written to a temporary name and renamed, so concurrent processes
 * never load a half-written file.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

/** `meles_gru_forward_step(bs, H, x, gh, bh, h, gates, ghn)`: see rnn-gates.c (`gh` without the bias). */
export type GruForwardStep = (
  bs: number,
  H: number,
  x: Float32Array,
  gh: Float32Array,
  bh: Float32Array,
  h: Float32Array,
  gates: Float32Array,
  ghn: Float32Array,
) => void;
/** `meles_gru_backward_step(bs, H, dh, gates, hPrev, ghn, dx, dgh, dhPrev)`. */
export type GruBackwardStep = (
  bs: number,
  H: number,
  dh: Float32Array,
  gates: Float32Array,
  hPrev: Float32Array,
  ghn: Float32Array,
  dx: Float32Array,
  dgh: Float32Array,
  dhPrev: Float32Array,
) => void;
/** `meles_lstm_forward_step(bs, H, a, c, h, gates, tanhC)`. */
export type LstmForwardStep = (bs: number, H: number, a: Float32Array, c: Float32Array, h: Float32Array, gates: Float32Array, tanhC: Float32Array) => void;
/** `meles_lstm_backward_step(bs, H, dh, dc, gates, tanhC, cPrev, dx)`. */
export type LstmBackwardStep = (
  bs: number,
  H: number,
  dh: Float32Array,
  dc: Float32Array,
  gates: Float32Array,
  tanhC: Float32Array,
  cPrev: Float32Array,
  dx: Float32Array,
) => void;

/** 4-byte elements (float32 or int32 tensor data) the memory movers copy bit for bit. */
export type Elements32 = Float32Array | Int32Array;
/** `meles_copy_rows(rows, width, src, srcStride, dst, dstStride)`: strided row copies (strides in elements; srcStride 0 repeats one row). */
export type CopyRows = (rows: number, width: number, src: Elements32, srcStride: number, dst: Elements32, dstStride: number) => void;
/** `meles_gather_rows(count, width, table, idx, out)`: `out[i] = table[idx[i]]`, rows of `width` elements (indices checked by the caller). */
export type GatherRows = (count: number, width: number, table: Elements32, idx: Int32Array, out: Elements32) => void;
/** `meles_segment_sum(rows, inner, x, ids, segments, out)`: `out[s] = Σ x[r]` over rows with `ids[r] = s`, in row order. */
export type SegmentSum = (rows: number, inner: number, x: Float32Array, ids: Int32Array, segments: number, out: Float32Array) => void;
/** `meles_column_sums(rows, cols, m, out)`: `out[c] = Σ_r m[r, c]`, in row order. */
export type ColumnSums = (rows: number, cols: number, m: Float32Array, out: Float32Array) => void;

/** The compiled step functions. Arrays are passed by pointer (subarrays at their offset), in place. */
export interface NativeGates {
  /** Path of the loaded shared library. */
  readonly library: string;
  readonly gruForwardStep: GruForwardStep;
  readonly gruBackwardStep: GruBackwardStep;
  readonly lstmForwardStep: LstmForwardStep;
  readonly lstmBackwardStep: LstmBackwardStep;
  /**
   * Memory movers of the wasm-heap kernels (slice, concat, gather, segment sum, bias fill, column
   * sums): the TypeScript loops convert every float32 element to a double and back and allocate a
   * view object per row, which made them ~20% of a GRU train step at hidden 64 (issue 16).
   */
  readonly copyRows: CopyRows;
  readonly gatherRows: GatherRows;
  readonly segmentSum: SegmentSum;
  readonly columnSums: ColumnSums;
}

/** Result of {@link loadNativeGates}. */
export type NativeGatesLoad = { readonly ok: true; readonly gates: NativeGates } | { readonly ok: false; readonly reason: string };

const SOURCE = fileURLToPath(new URL('./rnn-gates.c', import.meta.url));
const FLAGS = ['-O3', '-ffast-math', '-fopenmp-simd', '-march=native', '-fPIC', '-shared'];

let cached: NativeGatesLoad | undefined;

interface KoffiLike {
  load(path: string): { func(signature: string): (...args: unknown[]) => unknown };
}

/**
 * Compiles (first time on this machine) and loads rnn-gates.c, or says why it cannot. Never
 * throws; the result is cached for the process. `MELES_NATIVE_GATES=0` disables it.
 */
export function loadNativeGates(): NativeGatesLoad {
  if (/^(0|off|false|none)$/i.test(process.env.MELES_NATIVE_GATES ?? '')) {
    return { ok: false, reason: `disabled by MELES_NATIVE_GATES=${process.env.MELES_NATIVE_GATES}` };
  }
  cached ??= compileNativeGates();
  return cached;
}

/** Options of {@link compileNativeGates}. */
export interface CompileNativeGatesOptions {
  /**
   * Folder of the compiled library (created with mode 700; refused when another user owns it or
   * others may write to it).
   * @defaultValue `MELES_NATIVE_CACHE`, else `meles-native-<uid>` in the OS temp folder
   */
  readonly cacheFolder?: string;
  /**
   * The C compiler command.
   * @defaultValue `CC` from the environment, else `gcc`
   */
  readonly compiler?: string;
}

/**
 * Compiles rnn-gates.c into `cacheFolder` unless an up-to-date library is already there, and
 * loads it; uncached (see {@link loadNativeGates}). Never throws.
 */
export function compileNativeGates(options: CompileNativeGatesOptions = {}): NativeGatesLoad {
  let koffi: KoffiLike;
  try {
    koffi = createRequire(import.meta.url)('koffi') as KoffiLike;
  } catch (error) {
    return { ok: false, reason: `koffi is not available: ${(error as Error).message}` };
  }
  if (!existsSync(SOURCE)) return { ok: false, reason: `${SOURCE} is missing` };
  const source = readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).update(FLAGS.join(' ')).update(`${process.platform}-${process.arch}`).digest('hex').slice(0, 16);
  const user = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const folder = options.cacheFolder ?? process.env.MELES_NATIVE_CACHE ?? join(tmpdir(), `meles-native-${user ?? 'user'}`);
  const library = join(folder, `rnn-gates-${hash}.so`);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    return { ok: false, reason: `cannot create ${folder}: ${(error as Error).message}` };
  }
  // Code is loaded from here: refuse a folder (or file) that someone else owns or may write to.
  const unsafe = unsafePath(folder, user) ?? (existsSync(library) ? unsafePath(library, user) : null);
  if (unsafe !== null) return { ok: false, reason: unsafe };
  if (!existsSync(library)) {
    // Worker threads of one process compile at the same moment on a fresh machine (the gradient
    // workers of `--threads 2`), so the temporary name is unique per thread, not only per process;
    // rename is atomic, and the last of several identical libraries wins.
    const partial = `${library}.${process.pid}-${threadId}-${randomBytes(4).toString('hex')}.tmp`;
    const run = spawnSync(options.compiler ?? process.env.CC ?? 'gcc', [...FLAGS, '-o', partial, SOURCE, '-lm'], { encoding: 'utf8', timeout: 120_000 });
    if (run.status !== 0) {
      rmSync(partial, { force: true });
      const why = run.error?.message ?? run.stderr.split('\n').slice(0, 3).join(' ');
      return { ok: false, reason: `compiling ${SOURCE} failed: ${why}` };
    }
    try {
      renameSync(partial, library);
    } catch (error) {
      rmSync(partial, { force: true });
      if (!existsSync(library)) return { ok: false, reason: `could not move the compiled ${partial} to ${library}: ${(error as Error).message}` };
    }
  }
  try {
    const lib = koffi.load(library);
    return {
      ok: true,
      gates: {
        library,
        gruForwardStep: lib.func('void meles_gru_forward_step(int bs, int H, const float *x, const float *gh, const float *bh, float *h, float *gates, float *ghn)') as GruForwardStep,
        gruBackwardStep: lib.func(
          'void meles_gru_backward_step(int bs, int H, const float *dh, const float *gates, const float *hPrev, const float *ghn, float *dx, float *dgh, float *dhPrev)',
        ) as GruBackwardStep,
        lstmForwardStep: lib.func('void meles_lstm_forward_step(int bs, int H, const float *a, float *c, float *h, float *gates, float *tanhC)') as LstmForwardStep,
        lstmBackwardStep: lib.func(
          'void meles_lstm_backward_step(int bs, int H, const float *dh, float *dc, const float *gates, const float *tanhC, const float *cPrev, float *dx)',
        ) as LstmBackwardStep,
        copyRows: lib.func('void meles_copy_rows(int rows, int width, const void *src, int srcStride, void *dst, int dstStride)') as CopyRows,
        gatherRows: lib.func('void meles_gather_rows(int count, int width, const void *table, const int *idx, void *out)') as GatherRows,
        segmentSum: lib.func('void meles_segment_sum(int rows, int inner, const float *x, const int *ids, int segments, float *out)') as SegmentSum,
        columnSums: lib.func('void meles_column_sums(int rows, int cols, const float *m, float *out)') as ColumnSums,
      },
    };
  } catch (error) {
    return { ok: false, reason: `could not load ${library}: ${(error as Error).message}` };
  }
}

/** Why `path` is not safe to load code from (owned by another user, or group/world-writable), or null. */
function unsafePath(path: string, user: number | undefined): string | null {
  const stat = statSync(path);
  if (user !== undefined && stat.uid !== user) return `${path} belongs to user ${stat.uid}, not ${user}: not loading code from it`;
  if ((stat.mode & 0o022) !== 0) return `${path} is writable by group or others (mode ${(stat.mode & 0o777).toString(8)}): not loading code from it`;
  return null;
}

/** The compiled gate math when it loads, else `null` (the fused ops then use their TypeScript loops). */
export function nativeGates(): NativeGates | null {
  const loaded = loadNativeGates();
  return loaded.ok ? loaded.gates : null;
}
