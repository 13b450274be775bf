/**
 * The parts of `_FusedMatMul` around the matrix product: the broadcast bias written into the
 * output before `sgemm` (which then adds the product with `beta = 1`), and the activation applied
 * in place afterwards.
 */
import { nativeGates } from './native-gates.js';

/** The activations `tf.fused.matMul` can fuse (tfjs-core `Activation`). */
export type FusedActivation = 'linear' | 'relu' | 'relu6' | 'prelu' | 'leakyrelu' | 'sigmoid' | 'elu';

/**
 * How a bias (or PReLU weights) broadcasts over each `[m, n]` output matrix: `rows` is 1 or m,
 * `cols` is 1 or n. Only operands whose extra leading dimensions are all 1 have one; the others
 * need the N-d output shape, which the kernel never sees, so they go to the stock kernel.
 */
export interface MatrixBroadcast {
  readonly rows: number;
  readonly cols: number;
}

/** The {@link MatrixBroadcast} of an operand of `shape` over `[m, n]` matrices, or `null`. */
export function matrixBroadcast(shape: readonly number[], m: number, n: number): MatrixBroadcast | null {
  for (let d = 0; d < shape.length - 2; d++) if (shape[d] !== 1) return null;
  const rows = shape.length >= 2 ? shape[shape.length - 2] : 1;
  const cols = shape.length >= 1 ? shape[shape.length - 1] : 1;
  if ((rows !== 1 && rows !== m) || (cols !== 1 && cols !== n)) return null;
  return { rows, cols };
}

/** Writes `bias` broadcast into every `[m, n]` matrix of `out` (`out.length` = batches·m·n). */
export function fillBias(out: Float32Array, bias: Float32Array, shape: MatrixBroadcast, m: number, n: number): void {
  const total = out.length;
  if (shape.rows === 1 && shape.cols === 1) {
    out.fill(bias[0]);
  } else if (shape.rows === 1) {
    // The common dense-layer case: one bias row copied to every output row (one compiled strided
    // copy when it loads: the `set` per row cost 1.5% of a GRU train step, issue 16).
    const movers = nativeGates();
    if (movers !== null && n > 0) movers.copyRows(total / n, n, bias, 0, out, n);
    else for (let start = 0; start < total; start += n) out.set(bias, start);
  } else if (shape.cols === 1) {
    for (let row = 0, start = 0; start < total; start += n, row = (row + 1) % m) out.fill(bias[row], start, start + n);
  } else {
    for (let start = 0; start < total; start += m * n) out.set(bias, start);
  }
}

/**
 * Applies `activation` to `out` in place, with the same formulas as the tfjs kernels.
 * `alpha` is the LeakyReLU slope; `prelu` holds the PReLU weights broadcast as `preluShape`.
 */
export function applyActivation(
  out: Float32Array,
  activation: FusedActivation,
  alpha: number,
  prelu: { readonly weights: Float32Array; readonly shape: MatrixBroadcast } | null,
  m: number,
  n: number,
): void {
  const total = out.length;
  switch (activation) {
    case 'linear':
      return;
    case 'relu':
      for (let i = 0; i < total; i++) if (out[i] < 0) out[i] = 0;
      return;
    case 'relu6':
      for (let i = 0; i < total; i++) out[i] = out[i] < 0 ? 0 : out[i] > 6 ? 6 : out[i];
      return;
    case 'leakyrelu':
      for (let i = 0; i < total; i++) if (out[i] < 0) out[i] *= alpha;
      return;
    case 'sigmoid':
      for (let i = 0; i < total; i++) out[i] = 1 / (1 + Math.exp(-out[i]));
      return;
    case 'elu':
      for (let i = 0; i < total; i++) if (out[i] < 0) out[i] = Math.expm1(out[i]);
      return;
    case 'prelu': {
      if (prelu === null) throw new Error('prelu activation needs preluActivationWeights');
      const { weights, shape } = prelu;
      for (let i = 0; i < total; i++) {
        if (out[i] >= 0) continue;
        const col = i % n;
        const row = Math.floor(i / n) % m;
        out[i] *= weights[(shape.rows === 1 ? 0 : row) * shape.cols + (shape.cols === 1 ? 0 : col)];
      }
      return;
    }
  }
}
