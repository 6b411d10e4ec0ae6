// Direct BF16 convolution kernels (forward, input gradient). Each micro-kernel keeps an R x V block
// of 8-float accumulators (R * V <= 24 of AVX-512VL's 32 ymm registers: vdpbf16ps has a 6-cycle
// latency and two issue per cycle, so 12 or more chains keep both pipes busy), broadcasts one
// 32-bit bf16 pair of the streamed operand per row and loads V vectors of weight pairs.
#include "bf16_conv.h"

#include <string.h>

#include "bf16_gemm.h"
#include "bf16_pairs.h"

static int have_bf16 = -1;  // cached bc_bf16_available(); races only write the same value

// Tiles of 8-lane vectors along the vectorised axis (channels, or a kernel row's run): 3 vectors x 8
// rows where they fit, else 2 x 12, and 1 x 16 for a lone vector.
static inline int tile_vectors(int remaining) {
  return remaining == 1 ? 1 : (remaining == 2 || remaining == 4 ? 2 : 3);
}
static inline int tile_rows(int v) { return v == 3 ? 8 : (v == 2 ? 12 : 16); }

static inline int pairs(int count) { return (count + 1) / 2; }
static inline int ocp8(const bc_conv_shape *s) { return (s->oc + 7) & ~7; }
static inline int runp8(const bc_conv_shape *s) { return (s->kw * s->c + 7) & ~7; }

size_t bc_bf16_conv_kernel_count(const bc_conv_shape *s) {
  return (size_t)s->kh * pairs(s->kw * s->c) * 2 * ocp8(s);
}

size_t bc_bf16_conv_transposed_kernel_count(const bc_conv_shape *s) {
  return (size_t)s->kh * pairs(s->oc) * 2 * runp8(s);
}

// Both packers only move bf16 bits: the kernel is rounded once, 16 lanes at a time, by
// bc_bf16_pack_a (rows of roundup(oc, 2)); a scalar rounding per element cost 0.5 ms a step.
void bc_bf16_pack_conv_kernel(const bc_conv_shape *s, const uint16_t *kb, uint16_t *dst) {
  const int run = s->kw * s->c, run2 = pairs(run), ocp = ocp8(s), ldk = 2 * pairs(s->oc);
  for (int c0 = 0; c0 < ocp;) {
    const int width = 8 * tile_vectors((ocp - c0) / 8), real = s->oc - c0 < width ? s->oc - c0 : width;
    for (int ky = 0; ky < s->kh; ky++)
      for (int j2 = 0; j2 < run2; j2++, dst += 2 * width) {
        const uint16_t *r0 = kb + ((size_t)ky * run + 2 * j2) * ldk + c0;
        const uint16_t *r1 = 2 * j2 + 1 < run ? r0 + ldk : NULL;
        for (int l = 0; l < real; l++) dst[2 * l] = r0[l], dst[2 * l + 1] = r1 ? r1[l] : 0;
        memset(dst + 2 * real, 0, sizeof(uint16_t) * 2 * (size_t)(width - real));
      }
    c0 += width;
  }
}

void bc_bf16_pack_conv_transposed_kernel(const bc_conv_shape *s, const uint16_t *kb, uint16_t *dst) {
  const int run = s->kw * s->c, runp = runp8(s), oc2 = pairs(s->oc), ldk = 2 * oc2;
  uint32_t *out = (uint32_t *)(void *)dst;  // one channel pair per lane; dst is 4-byte aligned
  for (int j0 = 0; j0 < runp;) {
    const int width = 8 * tile_vectors((runp - j0) / 8);
    for (int ky = 0; ky < s->kh; ky++)
      for (int o2 = 0; o2 < oc2; o2++)
        for (int l = 0; l < width; l++, out++) {
          if (j0 + l < run) memcpy(out, kb + ((size_t)ky * run + j0 + l) * ldk + 2 * o2, 4);
          else *out = 0;
        }
    j0 += width;
  }
}

void bc_bf16_shifted_pairs(const bc_conv_shape *s, const float *x, int n, uint16_t *xs) {
  if (have_bf16 < 0) have_bf16 = bc_bf16_available();
  const size_t in = (size_t)s->h * s->w * s->c, step = (size_t)s->sx * s->c;
  if (have_bf16 && step < in) {
    for (int img = 0; img < n; img++, x += in, xs += 2 * in) {
      bc_bf16_interleave(x, x + step, (int)(in - step), xs);
      bc_bf16_interleave(x + in - step, NULL, (int)step, xs + 2 * (in - step));
    }
    return;
  }
  for (int img = 0; img < n; img++, x += in, xs += 2 * in)
    for (size_t i = 0; i < in; i++) {
      xs[2 * i] = bc_bf16_from_float(x[i]);
      xs[2 * i + 1] = i + step < in ? bc_bf16_from_float(x[i + step]) : 0;
    }
}

void bc_bf16_delta_pairs(const bc_conv_shape *s, const float *d, int ldd, int n, uint16_t *dp) {
  if (have_bf16 < 0) have_bf16 = bc_bf16_available();
  const int ocp = ocp8(s), rows = n * s->oh;
  for (int row = 0; row < rows; row++)
    for (int ox = 0; ox < s->ow; ox += 2, dp += 2 * ocp) {
      const float *d0 = d + ((size_t)row * s->ow + ox) * ldd;
      const float *d1 = ox + 1 < s->ow ? d0 + ldd : NULL;
      if (have_bf16) {
        bc_bf16_interleave(d0, d1, s->oc, dp);
        memset(dp + 2 * s->oc, 0, sizeof(uint16_t) * 2 * (size_t)(ocp - s->oc));
        continue;
      }
      for (int o = 0; o < ocp; o++) {
        dp[2 * o] = o < s->oc ? bc_bf16_from_float(d0[o]) : 0;
        dp[2 * o + 1] = o < s->oc && d1 ? bc_bf16_from_float(d1[o]) : 0;
      }
    }
}

// Output pixels numbered over the group's images, walked without divisions.
typedef struct {
  int img, oy, ox;
} walk;

static inline size_t walk_offset(const bc_conv_shape *s, walk p) {
  return (((size_t)p.img * s->h + (size_t)p.oy * s->sy) * s->w + (size_t)p.ox * s->sx) * s->c;
}

static inline void walk_step(const bc_conv_shape *s, walk *p) {
  if (++p->ox < s->ow) return;
  p->ox = 0;
  if (++p->oy < s->oh) return;
  p->oy = 0;
  p->img++;
}

// Offsets of the next r pixels (spare rows repeat the last valid one), and the walk moved past them.
static inline void walk_take(const bc_conv_shape *s, walk *p, int r, int valid, size_t *off) {
  for (int i = 0; i < valid; i++, walk_step(s, p)) off[i] = walk_offset(s, *p);
  for (int i = valid; i < r; i++) off[i] = off[valid - 1];
}

// Images per pass: every tile walks the group's input (or delta), so a group sized to stay in L2 is
// read from L3 once instead of once per tile.
static inline int image_group(size_t image_bytes) {
  const size_t group = (192u << 10) / (image_bytes ? image_bytes : 1);
  return group < 1 ? 1 : (int)group;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#include "activation_avx2.h"
#define UNROLL _Pragma("clang loop unroll(full)")

static inline TARGET __m256bh pair_at(const uint16_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return (__m256bh)_mm256_set1_epi32(v);
}

static inline TARGET __m256bh lone_at(const uint16_t *p) {  // (p[0], 0): an odd row's last scalar
  return (__m256bh)_mm256_set1_epi32((int32_t)*p);
}

static inline TARGET __m256bh weights_at(const uint16_t *p) {
  return (__m256bh)_mm256_loadu_si256((const __m256i *)p);
}

static inline TARGET __mmask8 lanes(int m) { return m >= 8 ? (__mmask8)0xff : (__mmask8)((1u << (m > 0 ? m : 0)) - 1); }

// ---- forward: y[q][c0 + 8v ...] = sum over (ky, j) of x[q's window][ky][j] * w[ky][j][c0 + 8v ...]
#define DEFINE_FORWARD(R, V)                                                                         \
  static TARGET void forward_##R##_##V(const bc_conv_shape *s, const uint16_t *x, const size_t *off, \
                                       const uint16_t *w, const float *bias, bc_activation act,      \
                                       float *const *yp, int valid, int c0) {                        \
    __m256 acc[R][V];                                                                                \
    UNROLL for (int r = 0; r < R; r++) UNROLL for (int v = 0; v < V; v++) acc[r][v] =              \
        _mm256_setzero_ps();                                                                         \
    const int run = s->kw * s->c, full = run / 2, run2 = pairs(run), rs = s->w * s->c;               \
    for (int ky = 0; ky < s->kh; ky++) {                                                             \
      const uint16_t *wk = w + (size_t)ky * run2 * 16 * V;                                           \
      const uint16_t *xr[R];                                                                         \
      UNROLL for (int r = 0; r < R; r++) xr[r] = x + off[r] + (size_t)ky * rs;                       \
      for (int j2 = 0; j2 < full; j2++) {                                                            \
        __m256bh wv[V];                                                                              \
        UNROLL for (int v = 0; v < V; v++) wv[v] = weights_at(wk + (size_t)j2 * 16 * V + 16 * v);    \
        UNROLL for (int r = 0; r < R; r++) {                                                         \
          const __m256bh a = pair_at(xr[r] + 2 * j2);                                                \
          UNROLL for (int v = 0; v < V; v++) acc[r][v] = _mm256_dpbf16_ps(acc[r][v], a, wv[v]);      \
        }                                                                                            \
      }                                                                                              \
      if (run & 1) {                                                                                 \
        __m256bh wv[V];                                                                              \
        UNROLL for (int v = 0; v < V; v++) wv[v] = weights_at(wk + (size_t)full * 16 * V + 16 * v);  \
        UNROLL for (int r = 0; r < R; r++) {                                                         \
          const __m256bh a = lone_at(xr[r] + run - 1);                                               \
          UNROLL for (int v = 0; v < V; v++) acc[r][v] = _mm256_dpbf16_ps(acc[r][v], a, wv[v]);      \
        }                                                                                            \
      }                                                                                              \
    }                                                                                                \
    __m256 bv[V];                                                                                    \
    UNROLL for (int v = 0; v < V; v++) bv[v] = _mm256_maskz_loadu_ps(lanes(s->oc - c0 - 8 * v),      \
                                                                     bias + c0 + 8 * v);             \
    UNROLL for (int r = 0; r < R; r++) if (r < valid) UNROLL for (int v = 0; v < V; v++)             \
        _mm256_mask_storeu_ps(yp[r] + c0 + 8 * v, lanes(s->oc - c0 - 8 * v),                         \
                              activate(_mm256_add_ps(acc[r][v], bv[v]), act));                       \
  }
DEFINE_FORWARD(8, 3)
DEFINE_FORWARD(12, 2)
DEFINE_FORWARD(16, 1)

static TARGET void forward_group(const bc_conv_shape *s, const uint16_t *x, int n, const uint16_t *wp,
                                 const float *bias, bc_activation act, float *y) {
  const int total = n * s->oh * s->ow, ocp = ocp8(s);
  const size_t per_channel = (size_t)s->kh * pairs(s->kw * s->c) * 2;  // tile UInt16s per channel
  for (int c0 = 0; c0 < ocp;) {
    const int v = tile_vectors((ocp - c0) / 8), r = tile_rows(v);
    const uint16_t *w = wp + per_channel * c0;
    walk p = {0, 0, 0};
    for (int q0 = 0; q0 < total; q0 += r) {
      const int valid = total - q0 < r ? total - q0 : r;
      size_t off[16];
      float *yp[16];
      walk_take(s, &p, r, valid, off);
      for (int i = 0; i < r; i++) yp[i] = y + (size_t)(q0 + (i < valid ? i : valid - 1)) * s->oc;
      if (v == 3) forward_8_3(s, x, off, w, bias, act, yp, valid, c0);
      else if (v == 2) forward_12_2(s, x, off, w, bias, act, yp, valid, c0);
      else forward_16_1(s, x, off, w, bias, act, yp, valid, c0);
    }
    c0 += 8 * v;
  }
}

void bc_bf16_conv_forward(const bc_conv_shape *s, const uint16_t *xb, int n, const uint16_t *wp,
                          const float *bias, bc_activation act, float *y) {
  if (have_bf16 < 0) have_bf16 = bc_bf16_available();
  if (!have_bf16) return;
  const size_t in = (size_t)s->h * s->w * s->c, out = (size_t)s->oh * s->ow * s->oc;
  const int group = image_group(sizeof(uint16_t) * in);
  for (int g0 = 0; g0 < n; g0 += group)
    forward_group(s, xb + g0 * in, n - g0 < group ? n - g0 : group, wp, bias, act, y + g0 * out);
}

// ---- input gradient: dx[q's window][ky][j0 + 8v ...] += sum over o of d[q][o] * wt[ky][o][j0 + 8v ...]
#define DEFINE_INPUT_GRAD(R, V)                                                                       \
  static TARGET void input_grad_##R##_##V(const bc_conv_shape *s, const uint16_t *const *dp,         \
                                          const uint16_t *wt, float *dx, const size_t *off, int valid, \
                                          int last_lanes) {                                            \
    const int rs = s->w * s->c, oc2 = pairs(s->oc);                                                    \
    for (int ky = 0; ky < s->kh; ky++, wt += (size_t)oc2 * 16 * V) {                                   \
      __m256 acc[R][V];                                                                                \
      UNROLL for (int r = 0; r < R; r++) UNROLL for (int v = 0; v < V; v++) acc[r][v] =              \
          _mm256_setzero_ps();                                                                         \
      for (int o2 = 0; o2 < oc2; o2++) {                                                               \
        __m256bh wv[V];                                                                                \
        UNROLL for (int v = 0; v < V; v++) wv[v] = weights_at(wt + (size_t)o2 * 16 * V + 16 * v);      \
        UNROLL for (int r = 0; r < R; r++) {                                                           \
          const __m256bh a = pair_at(dp[r] + 2 * o2);                                                  \
          UNROLL for (int v = 0; v < V; v++) acc[r][v] = _mm256_dpbf16_ps(acc[r][v], a, wv[v]);        \
        }                                                                                              \
      }                                                                                                \
      UNROLL for (int r = 0; r < R; r++) if (r < valid) UNROLL for (int v = 0; v < V; v++) {          \
        float *p = dx + off[r] + (size_t)ky * rs + 8 * v;                                              \
        const __mmask8 k = lanes(v == V - 1 ? last_lanes : 8);                                         \
        _mm256_mask_storeu_ps(p, k, _mm256_add_ps(_mm256_maskz_loadu_ps(k, p), acc[r][v]));            \
      }                                                                                                \
    }                                                                                                  \
  }
DEFINE_INPUT_GRAD(8, 3)
DEFINE_INPUT_GRAD(12, 2)
DEFINE_INPUT_GRAD(16, 1)

// Tiles never span two images: a dx element gets its pixels' contributions in an order that then
// depends only on its own image, not on which images share the call (the thread count).
static TARGET void input_grad_group(const bc_conv_shape *s, const uint16_t *db, int n, const uint16_t *wt,
                                    float *dx) {
  const int run = s->kw * s->c, runp = runp8(s), per = s->oh * s->ow, ldd = 2 * pairs(s->oc);
  const size_t per_lane = (size_t)s->kh * pairs(s->oc) * 2;  // tile UInt16s per run position
  for (int j0 = 0; j0 < runp;) {
    const int v = tile_vectors((runp - j0) / 8), r = tile_rows(v);
    const int last_lanes = j0 + 8 * v == runp ? run - (runp - 8) : 8;
    const uint16_t *w = wt + per_lane * j0;
    for (int img = 0; img < n; img++) {
      walk p = {img, 0, 0};
      for (int q0 = img * per; q0 < (img + 1) * per; q0 += r) {
        const int valid = (img + 1) * per - q0 < r ? (img + 1) * per - q0 : r;
        size_t off[16];
        const uint16_t *dp[16];
        walk_take(s, &p, r, valid, off);
        for (int i = 0; i < r; i++) {
          off[i] += (size_t)j0;
          dp[i] = db + (size_t)(q0 + (i < valid ? i : valid - 1)) * ldd;
        }
        if (v == 3) input_grad_8_3(s, dp, w, dx, off, valid, last_lanes);
        else if (v == 2) input_grad_12_2(s, dp, w, dx, off, valid, last_lanes);
        else input_grad_16_1(s, dp, w, dx, off, valid, last_lanes);
      }
    }
    j0 += 8 * v;
  }
}

void bc_bf16_conv_input_grad(const bc_conv_shape *s, const uint16_t *db, int n, const uint16_t *wt, float *dx) {
  if (have_bf16 < 0) have_bf16 = bc_bf16_available();
  if (!have_bf16) return;
  const size_t in = (size_t)s->h * s->w * s->c, out = (size_t)s->oh * s->ow * 2 * pairs(s->oc);
  memset(dx, 0, sizeof(float) * (size_t)n * in);
  const int group = image_group(sizeof(float) * in);  // dx is read and written by every run tile
  for (int g0 = 0; g0 < n; g0 += group)
    input_grad_group(s, db + g0 * out, n - g0 < group ? n - g0 : group, wt, dx + g0 * in);
}

// ---- weight gradient: dw[k][c0 + 8v ...] += sum over pixel pairs of xs[pair's window + off(k)] . dp[pair]
// Pixels come in chunks of whole output rows so the chunk's delta pairs stay in L1/L2 across k tiles.
#define DEFINE_WEIGHT_GRAD(R, V)                                                                      \
  static TARGET void weight_grad_##R##_##V(const bc_conv_shape *s, const uint16_t *const *rows,      \
                                           int nrows, const size_t *off, const uint16_t *dp,          \
                                           float *const *dw, int valid) {                             \
    __m256 acc[R][V];                                                                                 \
    UNROLL for (int r = 0; r < R; r++) UNROLL for (int v = 0; v < V; v++) acc[r][v] =               \
        _mm256_setzero_ps();                                                                          \
    const int ow2 = pairs(s->ow), pair_row = 2 * ocp8(s);                                             \
    const size_t step = (size_t)4 * s->sx * s->c; /* UInt16s from one pixel pair to the next */       \
    for (int t = 0; t < nrows; t++) {                                                                 \
      const uint16_t *xb = rows[t];                                                                   \
      for (int q = 0; q < ow2; q++, xb += step, dp += pair_row) {                                     \
        __m256bh dv[V];                                                                               \
        UNROLL for (int v = 0; v < V; v++) dv[v] = weights_at(dp + 16 * v);                           \
        UNROLL for (int r = 0; r < R; r++) {                                                          \
          const __m256bh a = pair_at(xb + 2 * off[r]);                                                \
          UNROLL for (int v = 0; v < V; v++) acc[r][v] = _mm256_dpbf16_ps(acc[r][v], a, dv[v]);       \
        }                                                                                             \
      }                                                                                               \
    }                                                                                                 \
    UNROLL for (int r = 0; r < R; r++) if (r < valid) UNROLL for (int v = 0; v < V; v++)              \
        _mm256_storeu_ps(dw[r] + 8 * v, _mm256_add_ps(_mm256_loadu_ps(dw[r] + 8 * v), acc[r][v]));  \
  }
DEFINE_WEIGHT_GRAD(8, 3)
DEFINE_WEIGHT_GRAD(12, 2)
DEFINE_WEIGHT_GRAD(16, 1)

enum { CHUNK_PAIRS = 64, MAX_CHUNK_ROWS = 128 };

void bc_bf16_conv_weight_grad(const bc_conv_shape *s, const uint16_t *xs, int n, const uint16_t *dp, float *dwp) {
  if (have_bf16 < 0) have_bf16 = bc_bf16_available();
  if (!have_bf16) return;
  const int run = s->kw * s->c, k_total = s->kh * run, rs = s->w * s->c, ocp = ocp8(s);
  const int ow2 = pairs(s->ow), total_rows = n * s->oh;
  int chunk = CHUNK_PAIRS / ow2;
  chunk = chunk < 1 ? 1 : (chunk > MAX_CHUNK_ROWS ? MAX_CHUNK_ROWS : chunk);
  const uint16_t *rows[MAX_CHUNK_ROWS];
  for (int t0 = 0; t0 < total_rows; t0 += chunk) {
    const int nr = total_rows - t0 < chunk ? total_rows - t0 : chunk;
    for (int t = 0; t < nr; t++) {
      const int img = (t0 + t) / s->oh, oy = (t0 + t) % s->oh;
      rows[t] = xs + 2 * ((size_t)img * s->h * s->w + (size_t)oy * s->sy * s->w) * s->c;
    }
    const uint16_t *dc = dp + (size_t)t0 * ow2 * 2 * ocp;
    for (int c0 = 0; c0 < ocp;) {
      const int v = tile_vectors((ocp - c0) / 8), r = tile_rows(v);
      for (int k0 = 0; k0 < k_total; k0 += r) {
        size_t off[16];
        float *dw[16];
        const int valid = k_total - k0 < r ? k_total - k0 : r;
        for (int i = 0; i < r; i++) {
          const int k = k0 + (i < valid ? i : valid - 1);
          off[i] = (size_t)(k / run) * rs + k % run;
          dw[i] = dwp + (size_t)k * ocp + c0;
        }
        if (v == 3) weight_grad_8_3(s, rows, nr, off, dc + 2 * c0, dw, valid);
        else if (v == 2) weight_grad_12_2(s, rows, nr, off, dc + 2 * c0, dw, valid);
        else weight_grad_16_1(s, rows, nr, off, dc + 2 * c0, dw, valid);
      }
      c0 += 8 * v;
    }
  }
}

#else
void bc_bf16_conv_weight_grad(const bc_conv_shape *s, const uint16_t *xs, int n, const uint16_t *dp, float *dwp) {}
void bc_bf16_conv_forward(const bc_conv_shape *s, const uint16_t *xb, int n, const uint16_t *wp,
                          const float *bias, bc_activation act, float *y) {}
void bc_bf16_conv_input_grad(const bc_conv_shape *s, const uint16_t *db, int n, const uint16_t *wt, float *dx) {}
#endif
