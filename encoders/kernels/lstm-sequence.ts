/**
 * A whole-sequence LSTM forward and backward over a packed batch, on plain Float32Arrays, with the
 * matrix products in OpenBLAS. The equations and weight layout of `LstmCell`
 * (encoders/recurrent-cells.ts): gate columns in the order i, f, o, g (PyTorch's i, f, g, o with
 * the three sigmoid gates side by side), one bias (PyTorch's `b_ih + b_hh`) already inside `x`:
 *
 *   a = x + h·Wh;  i, f, o = σ(a_ifo);  g = tanh(a_g);  c' = f⊙c + i⊙g;  h' = o⊙tanh(c')
 *
 * where `x` is the input projection `input·Wx + bx`, computed by the caller for all steps at once.
 * Packed layout (packed-geometry.ts) as in gru-sequence.ts: step `t` holds the first
 * `batchSizes[t]` sequences (sorted longest first), so a finished sequence's state rows are never
 * touched again.
 */
import { releaseFloat32, takeFloat32 } from './buffer-pool.js';
import type { GateActivation } from './gate-activation.js';
import type { NativeGates } from './native-gates.js';
import { CBLAS_NO_TRANS, CBLAS_ROW_MAJOR, CBLAS_TRANS, type SgemmProvider } from './openblas.js';
import { addOutputGradient, initialState, packedEvents, startStateGradient, type PackedGeometry, type PackedUpstream } from './packed-geometry.js';

/** What the backward pass needs from the forward pass (all packed, one row per event). */
export interface LstmTape {
  /** Hidden state before each step `[events, H]`. */
  readonly hPrev: Float32Array;
  /** Cell state before each step `[events, H]`. */
  readonly cPrev: Float32Array;
  /** Gates i, f, o, g after their activations `[events, 4H]`. */
  readonly gates: Float32Array;
  /** `tanh(c')` after each step `[events, H]`. */
  readonly tanhC: Float32Array;
}

/**
 * How the gate math runs: the compiled C step (native-gates.ts), or TypeScript loops around two
 * SIMD σ scratches: `gates` of at least `size · 4H` values (g through `tanh(a) = 2σ(2a) − 1`),
 * `cell` of at least `size · H` (`tanh(c')`).
 */
export type LstmGateMath = { readonly native: NativeGates } | { readonly native: null; readonly gates: GateActivation; readonly cell: GateActivation };

/** Where {@link lstmForward} writes, and how it computes the gates. */
export interface LstmForwardBuffers {
  /** The gate math. */
  readonly math: LstmGateMath;
  /** The running hidden state `[size, H]`, ends as the final one. @defaultValue a new array */
  readonly h?: Float32Array;
  /** The hidden state after every packed row `[events, H]`, or null not to keep it. */
  readonly outputs: Float32Array | null;
  /** Record the activations for {@link lstmBackward} (training). */
  readonly keepTape: boolean;
}

/** Result of {@link lstmForward}. */
export interface LstmForward {
  /** Hidden state after each sequence's last event `[size, H]`, sorted order. */
  readonly h: Float32Array;
  /** Cell state after each sequence's last event `[size, H]`, sorted order. */
  readonly c: Float32Array;
  /** Saved activations, when requested; pooled arrays, see {@link releaseLstmTape}. */
  readonly tape: LstmTape | null;
}

/**
 * Runs the LSTM over all steps. `x` is `[events, 4H]`, `h0` and `c0` `[size, H]`, `wh` `[H, 4H]`.
 */
export function lstmForward(
  blas: SgemmProvider,
  geometry: PackedGeometry,
  x: Float32Array,
  h0: Float32Array,
  c0: Float32Array,
  wh: Float32Array,
  buffers: LstmForwardBuffers,
): LstmForward {
  const { size, hidden: H, batchSizes, offsets } = geometry;
  const G = 4 * H;
  const events = packedEvents(geometry);
  const h = initialState(geometry, h0, buffers.h);
  const c = initialState(geometry, c0);
  const tape = buffers.keepTape
    ? { hPrev: takeFloat32(events * H), cPrev: takeFloat32(events * H), gates: takeFloat32(events * G), tanhC: takeFloat32(events * H) }
    : null;
  // Scratch when no tape is kept, so the loops below have one shape.
  const gates = tape?.gates ?? new Float32Array(size * G);
  const tanhC = tape?.tanhC ?? new Float32Array(size * H);
  const { outputs, math } = buffers;
  // Pre-activations: the σ scratch itself on the TypeScript path, a plain array for the C step.
  const pre = math.native === null ? math.gates.input : new Float32Array(size * G);
  for (let t = 0; t < batchSizes.length; t++) {
    const bs = batchSizes[t];
    const row0 = offsets[t];
    const saved = tape === null ? 0 : row0;
    if (tape !== null) {
      tape.hPrev.set(h.subarray(0, bs * H), row0 * H);
      tape.cPrev.set(c.subarray(0, bs * H), row0 * H);
    }
    // a = x_t + h·Wh, straight into the σ scratch (x rows first, sgemm adds with beta = 1).
    pre.set(x.subarray(row0 * G, (row0 + bs) * G));
    blas.sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, bs, G, H, 1, h, H, wh, G, 1, pre, G);
    if (math.native !== null) math.native.lstmForwardStep(bs, H, pre, c, h, gates.subarray(saved * G), tanhC.subarray(saved * H));
    else stepGates(math.gates, math.cell, bs, H, saved, c, h, gates, tanhC);
    if (outputs !== null) outputs.set(h.subarray(0, bs * H), row0 * H);
  }
  return { h, c, tape };
}

/** The TypeScript gate math of one forward step (no compiled library), on pre-activations in `sigma.input`. */
function stepGates(
  sigma: GateActivation,
  cell: GateActivation,
  bs: number,
  H: number,
  saved: number,
  c: Float32Array,
  h: Float32Array,
  gates: Float32Array,
  tanhC: Float32Array,
): void {
  const G = 4 * H;
  const H3 = 3 * H;
  const pre = sigma.input;
  const act = sigma.output;
  const cellIn = cell.input;
  const cellOut = cell.output;
  for (let i = 0; i < bs; i++) {
    const o = i * G + H3;
    for (let j = 0; j < H; j++) pre[o + j] *= 2;
  }
  sigma.sigmoid(bs * G);
  for (let i = 0; i < bs; i++) {
    const ao = i * G;
    const po = (saved + i) * G;
    const so = i * H;
    for (let j = 0; j < H; j++) {
      const ig = act[ao + j];
      const fg = act[ao + H + j];
      const g = 2 * act[ao + H3 + j] - 1;
      gates[po + j] = ig;
      gates[po + H + j] = fg;
      gates[po + 2 * H + j] = act[ao + 2 * H + j];
      gates[po + H3 + j] = g;
      const cNew = fg * c[so + j] + ig * g;
      c[so + j] = cNew;
      cellIn[so + j] = 2 * cNew;
    }
  }
  cell.sigmoid(bs * H);
  for (let i = 0; i < bs; i++) {
    const po = (saved + i) * G + 2 * H;
    const so = i * H;
    const no = (saved + i) * H;
    for (let j = 0; j < H; j++) {
      const tc = 2 * cellOut[so + j] - 1;
      tanhC[no + j] = tc;
      h[so + j] = gates[po + j] * tc;
    }
  }
}

/** Where {@link lstmBackward} writes the gradients, shaped like the forward inputs (contents on entry are ignored). */
export interface LstmGradients {
  /** Gradient of the input projection `[events, 4H]`. */
  readonly dx: Float32Array;
  /** Gradient of the initial hidden states `[size, H]`. */
  readonly dh0: Float32Array;
  /** Gradient of the initial cell states `[size, H]`. */
  readonly dc0: Float32Array;
  /** Gradient of the recurrent weights `[H, 4H]`. */
  readonly dwh: Float32Array;
}

/**
 * Back-propagates `upstream` (the gradient of the final hidden states or of the per-event outputs)
 * through the run recorded in `tape`, writing into `grads`. The final cell states are not an
 * output of the op, so their gradient is zero. The gate math is in C when `native` is given.
 */
export function lstmBackward(
  blas: SgemmProvider,
  geometry: PackedGeometry,
  tape: LstmTape,
  wh: Float32Array,
  upstream: PackedUpstream,
  grads: LstmGradients,
  native: NativeGates | null,
): void {
  const { hidden: H, batchSizes, offsets } = geometry;
  const G = 4 * H;
  const H3 = 3 * H;
  const events = packedEvents(geometry);
  const { dx } = grads;
  // Row i: dL/dh and dL/dc of sequence i at the current step (see gruBackward); they end as dh0, dc0.
  const dh = grads.dh0;
  const dc = grads.dc0;
  startStateGradient(geometry, upstream, dh);
  dc.fill(0);
  const { gates, tanhC, cPrev } = tape;
  for (let t = batchSizes.length - 1; t >= 0; t--) {
    const bs = batchSizes[t];
    const row0 = offsets[t];
    addOutputGradient(geometry, upstream, t, dh);
    if (native !== null) native.lstmBackwardStep(bs, H, dh, dc, gates.subarray(row0 * G), tanhC.subarray(row0 * H), cPrev.subarray(row0 * H), dx.subarray(row0 * G));
    for (let i = 0; native === null && i < bs; i++) {
      const po = (row0 + i) * G;
      const no = (row0 + i) * H;
      const so = i * H;
      for (let j = 0; j < H; j++) {
        const ig = gates[po + j];
        const fg = gates[po + H + j];
        const og = gates[po + 2 * H + j];
        const g = gates[po + H3 + j];
        const tc = tanhC[no + j];
        const dhj = dh[so + j];
        const dcj = dc[so + j] + dhj * og * (1 - tc * tc);
        dx[po + j] = dcj * g * ig * (1 - ig);
        dx[po + H + j] = dcj * cPrev[no + j] * fg * (1 - fg);
        dx[po + 2 * H + j] = dhj * tc * og * (1 - og);
        dx[po + H3 + j] = dcj * ig * (1 - g * g);
        dc[so + j] = dcj * fg;
      }
    }
    // dh_prev = da·Whᵀ for the running rows (the state enters the step only through the product).
    blas.sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS, bs, H, G, 1, dx.subarray(row0 * G), G, wh, G, 0, dh, H);
  }
  // dWh = Σ_t h_prevᵀ·da_t as one product over all events.
  blas.sgemm(CBLAS_ROW_MAJOR, CBLAS_TRANS, CBLAS_NO_TRANS, H, G, events, 1, tape.hPrev, H, dx, G, 0, grads.dwh, G);
}

/** Gives a tape's arrays back to the buffer pool once its backward pass is done. */
export function releaseLstmTape(tape: LstmTape): void {
  releaseFloat32(tape.hPrev, tape.cPrev, tape.gates, tape.tanhC);
}
