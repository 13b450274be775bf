/*
 * Elementwise gate math of one step of the fused GRU / LSTM (gru-sequence.ts, lstm-sequence.ts),
 * compiled at first use by native-gates.ts (gcc -O3 -ffast-math -march=native) and called through
 * koffi. Plain loops that gcc vectorises (with glibc's vector expf); the matrix products stay in
 * OpenBLAS, called from TypeScript. Layouts are row-major, `bs` running rows of width H (or 3H/4H).
 * tanh(a) is written 2σ(2a) − 1, as in the TypeScript fallback.
 */
#include <math.h>

static inline float sigm(float a) { return 1.0f / (1.0f + expf(-a)); }

/* GRU forward. x: [bs,3H] input projection (r,z,n); gh: [bs,3H] h·Wh (no bias); bh: [3H] recurrent
   bias; h: [bs,H] state, updated in place; gates: [bs,3H] out (r,z,n); ghn: [bs,H] out
   ((h·Wh + bh)'s n part). */
void meles_gru_forward_step(int bs, int H, const float *x, const float *gh, const float *bh, float *h, float *gates, float *ghn) {
  for (int i = 0; i < bs; i++) {
    const float *xi = x + (long)i * 3 * H, *gi = gh + (long)i * 3 * H;
    float *hi = h + (long)i * H, *pi = gates + (long)i * 3 * H, *ni = ghn + (long)i * H;
#pragma omp simd
    for (int j = 0; j < H; j++) {
      float r = sigm(xi[j] + gi[j] + bh[j]);
      float z = sigm(xi[H + j] + gi[H + j] + bh[H + j]);
      float hn = gi[2 * H + j] + bh[2 * H + j];
      float n = 2.0f * sigm(2.0f * (xi[2 * H + j] + r * hn)) - 1.0f;
      pi[j] = r;
      pi[H + j] = z;
      pi[2 * H + j] = n;
      ni[j] = hn;
      hi[j] = n + z * (hi[j] - n);
    }
  }
}

/* GRU backward. dh: [bs,H] dL/dh after the step; gates, hPrev, ghn: this step's tape rows;
   dx: [bs,3H] out; dgh: [bs,3H] out (gradient of h·Wh + bh); dhPrev: [bs,H] out (direct part dh⊙z). */
void meles_gru_backward_step(int bs, int H, const float *dh, const float *gates, const float *hPrev, const float *ghn,
                             float *dx, float *dgh, float *dhPrev) {
  for (int i = 0; i < bs; i++) {
    const float *di = dh + (long)i * H, *pi = gates + (long)i * 3 * H, *hp = hPrev + (long)i * H, *ni = ghn + (long)i * H;
    float *dxi = dx + (long)i * 3 * H, *dgi = dgh + (long)i * 3 * H, *dpi = dhPrev + (long)i * H;
#pragma omp simd
    for (int j = 0; j < H; j++) {
      float d = di[j], r = pi[j], z = pi[H + j], n = pi[2 * H + j];
      float daN = d * (1.0f - z) * (1.0f - n * n);
      float daZ = d * (hp[j] - n) * z * (1.0f - z);
      float daR = daN * ni[j] * r * (1.0f - r);
      dxi[j] = daR;
      dxi[H + j] = daZ;
      dxi[2 * H + j] = daN;
      dgi[j] = daR;
      dgi[H + j] = daZ;
      dgi[2 * H + j] = daN * r;
      dpi[j] = d * z;
    }
  }
}

/* LSTM forward. a: [bs,4H] pre-activations x + h·Wh (i,f,o,g); c: [bs,H] cell state, updated in
   place; h: [bs,H] out; gates: [bs,4H] out (activated i,f,o,g); tanhC: [bs,H] out. */
void meles_lstm_forward_step(int bs, int H, const float *a, float *c, float *h, float *gates, float *tanhC) {
  for (int i = 0; i < bs; i++) {
    const float *ai = a + (long)i * 4 * H;
    float *ci = c + (long)i * H, *hi = h + (long)i * H, *pi = gates + (long)i * 4 * H, *ti = tanhC + (long)i * H;
#pragma omp simd
    for (int j = 0; j < H; j++) {
      float ig = sigm(ai[j]), fg = sigm(ai[H + j]), og = sigm(ai[2 * H + j]);
      float g = 2.0f * sigm(2.0f * ai[3 * H + j]) - 1.0f;
      float cn = fg * ci[j] + ig * g;
      float tc = 2.0f * sigm(2.0f * cn) - 1.0f;
      pi[j] = ig;
      pi[H + j] = fg;
      pi[2 * H + j] = og;
      pi[3 * H + j] = g;
      ci[j] = cn;
      ti[j] = tc;
      hi[j] = og * tc;
    }
  }
}

/* LSTM backward. dh: [bs,H] dL/dh after the step; dc: [bs,H] dL/dc after the step, replaced by
   dL/dc before it; gates, tanhC, cPrev: this step's tape rows; dx: [bs,4H] out. */
void meles_lstm_backward_step(int bs, int H, const float *dh, float *dc, const float *gates, const float *tanhC,
                              const float *cPrev, float *dx) {
  for (int i = 0; i < bs; i++) {
    const float *di = dh + (long)i * H, *pi = gates + (long)i * 4 * H, *ti = tanhC + (long)i * H, *cp = cPrev + (long)i * H;
    float *ci = dc + (long)i * H, *dxi = dx + (long)i * 4 * H;
#pragma omp simd
    for (int j = 0; j < H; j++) {
      float ig = pi[j], fg = pi[H + j], og = pi[2 * H + j], g = pi[3 * H + j], tc = ti[j], d = di[j];
      float dcj = ci[j] + d * og * (1.0f - tc * tc);
      dxi[j] = dcj * g * ig * (1.0f - ig);
      dxi[H + j] = dcj * cp[j] * fg * (1.0f - fg);
      dxi[2 * H + j] = d * tc * og * (1.0f - og);
      dxi[3 * H + j] = dcj * ig * (1.0f - g * g);
      ci[j] = dcj * fg;
    }
  }
}

/* Memory movers for the wasm-heap kernels (wasm-slice.ts, wasm-concat.ts, epilogue.ts, ...): the same
   copies and sums as their TypeScript loops, which convert every float32 element to a double and
   back and allocate a view per row. Element counts and strides are in 4-byte elements (float32 or
   int32 data alike). */
#include <stdlib.h>
#include <string.h>

/* rows rows of `width` elements: row r of dst (at r·dstStride) = row r of src (at r·srcStride);
   srcStride 0 repeats one source row (a broadcast bias). */
void meles_copy_rows(int rows, int width, const float *src, int srcStride, float *dst, int dstStride) {
  for (int r = 0; r < rows; r++) memcpy(dst + (long)r * dstStride, src + (long)r * srcStride, (size_t)width * sizeof(float));
}

/* out[i,:] = table[idx[i],:] for `count` rows of `width` elements (indices checked by the caller). */
void meles_gather_rows(int count, int width, const float *table, const int *idx, float *out) {
  for (int i = 0; i < count; i++) memcpy(out + (long)i * width, table + (long)idx[i] * width, (size_t)width * sizeof(float));
}

/* out[s,:] = Σ rows r of x with ids[r] == s, in row order; ids outside [0, segments) are skipped. */
void meles_segment_sum(int rows, int inner, const float *x, const int *ids, int segments, float *out) {
  /* Accumulated in double: an embedding row's gradient sums thousands of events, and a float
   * accumulator makes the result depend on the order of the rows (1 vs 2 training threads). */
  double *acc = calloc((size_t)segments * inner, sizeof(double));
  if (acc == NULL) {
    memset(out, 0, (size_t)segments * inner * sizeof(float));
    for (int r = 0; r < rows; r++) {
      int s = ids[r];
      if (s < 0 || s >= segments) continue;
      float *o = out + (long)s * inner;
      const float *v = x + (long)r * inner;
      for (int k = 0; k < inner; k++) o[k] += v[k];
    }
    return;
  }
  for (int r = 0; r < rows; r++) {
    int s = ids[r];
    if (s < 0 || s >= segments) continue;
    double *o = acc + (long)s * inner;
    const float *v = x + (long)r * inner;
    for (int k = 0; k < inner; k++) o[k] += v[k];
  }
  for (long i = 0; i < (long)segments * inner; i++) out[i] = (float)acc[i];
  free(acc);
}

/* out[c] = Σ_r m[r,c] over a row-major [rows, cols] matrix, in row order, accumulated in double
 * (a bias gradient sums every event of the batch; see meles_segment_sum). */
void meles_column_sums(int rows, int cols, const float *m, float *out) {
  double *acc = calloc((size_t)(cols > 0 ? cols : 1), sizeof(double));
  if (acc == NULL) {
    memset(out, 0, (size_t)cols * sizeof(float));
    for (int r = 0; r < rows; r++) {
      const float *row = m + (long)r * cols;
      for (int c = 0; c < cols; c++) out[c] += row[c];
    }
    return;
  }
  for (int r = 0; r < rows; r++) {
    const float *row = m + (long)r * cols;
    for (int c = 0; c < cols; c++) acc[c] += row[c];
  }
  for (int c = 0; c < cols; c++) out[c] = (float)acc[c];
  free(acc);
}
