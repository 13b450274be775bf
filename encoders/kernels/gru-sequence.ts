/**
 * A whole-sequence GRU forward and backward over a packed batch, on plain Float32Arrays, with the
 * matrix products in OpenBLAS. PyTorch's equations (gate order r, z, n; `b_hn` inside the reset
 * product), the same as `encoders/recurrent-cells.ts`:
 *
 *   gh = h·Wh + bh;  r = σ(xr + ghr);  z = σ(xz + ghz);  n = tanh(xn + r⊙ghn);  h' = n + z⊙(h − n)
 *
 * where `x` is the input projection `input·Wx + bx`, computed by the caller for all steps at once.
 * Packed layout (packed-geometry.ts, as PyTorch's PackedSequence): sequences sorted longest first,
 * step `t` holds the first `batchSizes[t]` sequences, packed row `offsets[t] + i`. Running sequences are always the
 * first rows of the state, so a finished sequence's row is simply never touched again: after the
 * last step the state buffer IS the final state of every sequence.
 */
import { releaseFloat32, takeFloat32 } from './buffer-pool.js';
import type { GateActivation } from './gate-activation.js';
import type { NativeGates } from './native-gates.js';
import { CBLAS_NO_TRANS, CBLAS_ROW_MAJOR, CBLAS_TRANS, type SgemmProvider } from './openblas.js';
import { addOutputGradient, initialState, packedEvents, startStateGradient, type PackedGeometry, type PackedUpstream } from './packed-geometry.js';

/** What the backward pass needs from the forward pass (all packed, one row per event). */
export interface GruTape {
  /** State before each step `[events, H]`. */
  readonly hPrev: Float32Array;
  /** Gates r, z, n after their activations `[events, 3H]`. */
  readonly gates: Float32Array;
  /** The recurrent part of the candidate, `ghn = (h·Wh + bh)_n`, `[events, H]`. */
  readonly ghn: Float32Array;
}

/** Result of {@link gruForward}. */
export interface GruForward {
  /** State after each sequence's last event `[size, H]`, sorted order. */
  readonly final: Float32Array;
  /** State after every packed row `[events, H]`, when requested. */
  readonly outputs: Float32Array | null;
  /** Saved activations, when requested (training); pooled arrays, see {@link releaseGruTape}. */
  readonly tape: GruTape | null;
}

/**
 * How the gate math runs: the compiled C step (native-gates.ts), or TypeScript loops around two
 * SIMD σ scratches: `gates` of at least `size · 2H` values (r and z), `candidate` of at least
 * `size · H` (the candidate, through `tanh(a) = 2σ(2a) − 1`).
 */
export type GruGateMath = { readonly native: NativeGates } | { readonly native: null; readonly gates: GateActivation; readonly candidate: GateActivation };

/** Where {@link gruForward} writes, and how it computes the gates. */
export interface GruForwardBuffers {
  /** The gate math. */
  readonly math: GruGateMath;
  /** The running state `[size, H]`, ends as the final state. @defaultValue a new array */
  readonly state?: Float32Array;
  /** The state after every packed row `[events, H]`, or null not to keep it. */
  readonly outputs: Float32Array | null;
  /** Record the activations for {@link gruBackward} (training). */
  readonly keepTape: boolean;
}

/**
 * Runs the GRU over all steps. `x` is `[events, 3H]`, `h0` `[size, H]`, `wh` `[H, 3H]`, `bh` `[3H]`.
 * The candidate uses `tanh(a) = 2σ(2a) − 1` so that all three gates go through the SIMD σ.
 */
export function gruForward(
  blas: SgemmProvider,
  geometry: PackedGeometry,
  x: Float32Array,
  h0: Float32Array,
  wh: Float32Array,
  bh: Float32Array,
  buffers: GruForwardBuffers,
): GruForward {
  const { size, hidden: H, batchSizes, offsets } = geometry;
  const G = 3 * H;
  const events = packedEvents(geometry);
  const state = initialState(geometry, h0, buffers.state);
  const gh = new Float32Array(size * G);
  const outputs = buffers.outputs;
  const tape = buffers.keepTape
    ? { hPrev: takeFloat32(events * H), gates: takeFloat32(events * G), ghn: takeFloat32(events * H) }
    : null;
  // Scratch when no tape is kept, so the loops below have one shape (no per-element branch).
  const gates = tape?.gates ?? new Float32Array(size * G);
  const ghnAll = tape?.ghn ?? new Float32Array(size * H);
  const { math } = buffers;
  for (let t = 0; t < batchSizes.length; t++) {
    const bs = batchSizes[t];
    const row0 = offsets[t];
    const saved = tape === null ? 0 : row0;
    if (tape !== null) tape.hPrev.set(state.subarray(0, bs * H), row0 * H);
    if (math.native !== null) {
      // gh = h·Wh; the C step adds bh.
      blas.sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, bs, G, H, 1, state, H, wh, G, 0, gh, G);
      math.native.gruForwardStep(bs, H, x.subarray(row0 * G), gh, bh, state, gates.subarray(saved * G), ghnAll.subarray(saved * H));
    } else {
      // gh = h·Wh + bh for the running rows: bias rows first, then sgemm adds the product (beta = 1).
      for (let i = 0; i < bs; i++) gh.set(bh, i * G);
      blas.sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, bs, G, H, 1, state, H, wh, G, 1, gh, G);
      stepGates(math.gates, math.candidate, bs, H, row0, saved, x, gh, state, gates, ghnAll);
    }
    if (outputs !== null) outputs.set(state.subarray(0, bs * H), row0 * H);
  }
  return { final: state, outputs, tape };
}

/** The TypeScript gate math of one forward step (no compiled library): see {@link gruForward}. */
function stepGates(
  rz: GateActivation,
  candidate: GateActivation,
  bs: number,
  H: number,
  row0: number,
  saved: number,
  x: Float32Array,
  gh: Float32Array,
  state: Float32Array,
  gates: Float32Array,
  ghnAll: Float32Array,
): void {
  const G = 3 * H;
  const H2 = 2 * H;
  // r, z = σ(x_rz + gh_rz)
  for (let i = 0; i < bs; i++) {
    const xo = (row0 + i) * G;
    const go = i * G;
    const ao = i * H2;
    for (let j = 0; j < H2; j++) rz.input[ao + j] = x[xo + j] + gh[go + j];
  }
  rz.sigmoid(bs * H2);
  const act = rz.output;
  const pre = candidate.input;
  // keep r, z; the candidate's pre-activation, doubled for tanh(a) = 2σ(2a) − 1
  for (let i = 0; i < bs; i++) {
    const xo = (row0 + i) * G;
    const po = (saved + i) * G;
    const go = i * G;
    const ao = i * H2;
    const no = (saved + i) * H;
    for (let j = 0; j < H; j++) {
      const r = act[ao + j];
      const ghn = gh[go + H2 + j];
      gates[po + j] = r;
      gates[po + H + j] = act[ao + H + j];
      ghnAll[no + j] = ghn;
      pre[i * H + j] = 2 * (x[xo + H2 + j] + r * ghn);
    }
  }
  candidate.sigmoid(bs * H);
  const tanhHalf = candidate.output;
  // n = tanh(…), h' = n + z⊙(h − n)
  for (let i = 0; i < bs; i++) {
    const po = (saved + i) * G;
    const so = i * H;
    for (let j = 0; j < H; j++) {
      const n = 2 * tanhHalf[i * H + j] - 1;
      gates[po + H2 + j] = n;
      state[so + j] = n + gates[po + H + j] * (state[so + j] - n);
    }
  }
}

/** Where {@link gruBackward} writes the gradients, shaped like the forward inputs (contents on entry are ignored). */
export interface GruGradients {
  /** Gradient of the input projection `[events, 3H]`. */
  readonly dx: Float32Array;
  /** Gradient of the initial states `[size, H]`. */
  readonly dh0: Float32Array;
  /** Gradient of the recurrent weights `[H, 3H]`. */
  readonly dwh: Float32Array;
  /** Gradient of the recurrent bias `[3H]`. */
  readonly dbh: Float32Array;
}

/**
 * Back-propagates `upstream` (the gradient of the final states or of the per-event outputs) through
 * the run recorded in `tape`, writing into `grads`; the gate math in C when `native` is given.
 */
export function gruBackward(
  blas: SgemmProvider,
  geometry: PackedGeometry,
  tape: GruTape,
  wh: Float32Array,
  upstream: PackedUpstream,
  grads: GruGradients,
  native: NativeGates | null,
): void {
  const { size, hidden: H, batchSizes, offsets } = geometry;
  const G = 3 * H;
  const events = packedEvents(geometry);
  const { dx } = grads;
  // dState row i holds dL/dh for sequence i at the current step; it ends as dh0.
  const dState = grads.dh0;
  startStateGradient(geometry, upstream, dState);
  const dgh = takeFloat32(events * G);
  const dhPrev = new Float32Array(size * H);
  for (let t = batchSizes.length - 1; t >= 0; t--) {
    const bs = batchSizes[t];
    const row0 = offsets[t];
    addOutputGradient(geometry, upstream, t, dState);
    if (native !== null) {
      native.gruBackwardStep(bs, H, dState, tape.gates.subarray(row0 * G), tape.hPrev.subarray(row0 * H), tape.ghn.subarray(row0 * H), dx.subarray(row0 * G), dgh.subarray(row0 * G), dhPrev);
    }
    for (let i = 0; native === null && i < bs; i++) {
      const po = (row0 + i) * G;
      const ho = (row0 + i) * H;
      const so = i * H;
      for (let j = 0; j < H; j++) {
        const dh = dState[so + j];
        const r = tape.gates[po + j];
        const z = tape.gates[po + H + j];
        const n = tape.gates[po + 2 * H + j];
        const hp = tape.hPrev[ho + j];
        const daN = dh * (1 - z) * (1 - n * n);
        const daZ = dh * (hp - n) * z * (1 - z);
        const daR = daN * tape.ghn[ho + j] * r * (1 - r);
        dx[po + j] = daR;
        dx[po + H + j] = daZ;
        dx[po + 2 * H + j] = daN;
        dgh[po + j] = daR;
        dgh[po + H + j] = daZ;
        dgh[po + 2 * H + j] = daN * r;
        dhPrev[so + j] = dh * z;
      }
    }
    const stepGradient = dgh.subarray(row0 * G);
    // dh_prev += dgh·Whᵀ for the running rows.
    blas.sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS, bs, H, G, 1, stepGradient, G, wh, G, 1, dhPrev, H);
    // dWh = Σ_t h_prevᵀ·dgh_t, accumulated while this step's rows are still in cache: one product
    // over all events (K = events) reads ~10 MB back from memory and ran at half the speed (issue 16).
    blas.sgemm(CBLAS_ROW_MAJOR, CBLAS_TRANS, CBLAS_NO_TRANS, H, G, bs, 1, tape.hPrev.subarray(row0 * H), H, stepGradient, G, t === batchSizes.length - 1 ? 0 : 1, grads.dwh, G);
    dState.set(dhPrev.subarray(0, bs * H), 0);
  }
  if (batchSizes.length === 0) grads.dwh.fill(0);
  // dbh = Σ_e dgh[e]: a plain row-order sum in C is ~2x the ones-vector product (M = 1) here.
  if (native !== null) native.columnSums(events, G, dgh, grads.dbh);
  else columnSums(blas, dgh, events, G, grads.dbh);
  releaseFloat32(dgh);
}

/** Gives a tape's arrays back to the buffer pool once its backward pass is done. */
export function releaseGruTape(tape: GruTape): void {
  releaseFloat32(tape.hPrev, tape.gates, tape.ghn);
}

/** `out[g] = Σ_e m[e, g]` for a row-major `[rows, cols]` matrix, as one product with a ones row. */
export function columnSums(blas: SgemmProvider, m: Float32Array, rows: number, cols: number, out: Float32Array): void {
  const ones = new Float32Array(rows).fill(1);
  blas.sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, 1, cols, rows, 1, ones, rows, m, cols, 0, out, cols);
}
