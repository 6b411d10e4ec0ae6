// Direct NHWC convolution kernels. Each micro-kernel keeps an R x V block of 8-float accumulators
// in the 16 ymm registers (R <= 8, R * V <= 12) and streams one operand as broadcast scalars and
// the other as whole vectors, the shape of a GEMM micro-kernel but reading the input image in place
// instead of an im2col copy: one kernel row's kw * c scalars are contiguous in NHWC.
#include "conv_kernels.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// Channel tiles: V vectors each, R pixels (or patch rows) per tile so R * V accumulators fit. 6 x 2
// (12 accumulators, 3 registers left) compiles cleanly and runs fastest; clang spills 4 x 3, so an
// odd count takes one 3 x 3 tile and the rest in 6 x 2.
static inline int tile_vectors(int remaining) {
  return remaining == 1 ? 1 : (remaining % 2 == 1 ? 3 : 2);
}
static inline int tile_rows(int v) { return v == 3 ? 3 : (v == 2 ? 6 : 8); }

void bc_pack_rows(const float *src, int rows, int cols, int ldp, float *dst) {
  for (int r = 0; r < rows; r++) {
    memcpy(dst + (size_t)r * ldp, src + (size_t)r * cols, sizeof(float) * (size_t)cols);
    memset(dst + (size_t)r * ldp + cols, 0, sizeof(float) * (size_t)(ldp - cols));
  }
}

// One channel tile (channels c0..<c0 + width) of kernel (K, oc) -> (K, width) at out, zero-padded.
static void pack_kernel_tile(const float *kernel, int k, int oc, int c0, int width, float *out) {
  const int real = oc - c0 < width ? oc - c0 : width;  // channels of this tile that exist
  // Runs on every forward, batch-1 inference included. Rows are 8-24 floats: a plain loop, not a
  // memcpy call per row (about 6,000 calls a seed-model frame, a tenth of its split forward).
  const float *src = kernel + c0;
  for (int i = 0; i < k; i++, out += width, src += oc) {
    for (int j = 0; j < real; j++) out[j] = src[j];
    for (int j = real; j < width; j++) out[j] = 0;
  }
}

void bc_pack_kernel_tiles(const float *kernel, int k, int oc, int ocp, float *out) {
  for (int c0 = 0; c0 < ocp;) {
    const int width = 8 * tile_vectors((ocp - c0) / 8);
    pack_kernel_tile(kernel, k, oc, c0, width, out + (size_t)k * c0);
    c0 += width;
  }
}

int bc_conv_channel_tiles(int ocp) {
  int tiles = 0;
  for (int c0 = 0; c0 < ocp; tiles++) c0 += 8 * tile_vectors((ocp - c0) / 8);
  return tiles;
}

// First channel of tile `tile` (ocp for tile == the tile count).
static int tile_start(int ocp, int tile) {
  int c0 = 0;
  for (int t = 0; t < tile && c0 < ocp; t++) c0 += 8 * tile_vectors((ocp - c0) / 8);
  return c0;
}

void bc_pack_transposed_kernel(const float *kernel, int kh, int run, int oc, int runp, float *wt) {
  for (int j0 = 0; j0 < runp;) {
    const int width = 8 * tile_vectors((runp - j0) / 8);
    for (int ky = 0; ky < kh; ky++)
      for (int o = 0; o < oc; o++, wt += width)
        for (int j = 0; j < width; j++)
          wt[j] = j0 + j < run ? kernel[((size_t)ky * run + j0 + j) * oc + o] : 0;
    j0 += width;
  }
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int bc_conv_kernels_available(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  const unsigned fma = 1u << 12, osxsave = 1u << 27, avx = 1u << 28;
  if ((c & (fma | osxsave | avx)) != (fma | osxsave | avx)) return 0;
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 6) != 6) return 0;  // the OS saves xmm and ymm state
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  return (b & (1u << 5)) != 0;  // AVX2
}

#define TARGET __attribute__((target("avx2,fma")))
#include "activation_avx2.h"

// Denormal operands make FMAs take microcode assists (tens of cycles each). Like TensorFlow's CPU
// kernels, these run with flush-to-zero and denormals-are-zero, and restore the caller's MXCSR.
static inline unsigned flush_denormals(void) {
  const unsigned csr = _mm_getcsr();
  _mm_setcsr(csr | 0x8040);
  return csr;
}
#define UNROLL _Pragma("clang loop unroll(full)")

static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

static inline TARGET __m256i lane_mask(int m) {
  return _mm256_loadu_si256((const __m256i *)(mask_table + 8 - m));
}

// Stores the first m (any m; <= 0 stores nothing) lanes of v at p.
static inline TARGET void store_lanes(float *p, __m256 v, int m) {
  if (m >= 8) _mm256_storeu_ps(p, v);
  else if (m > 0) _mm256_maskstore_ps(p, lane_mask(m), v);
}

// Adds the first m lanes of v into p.
static inline TARGET void add_lanes(float *p, __m256 v, int m) {
  if (m >= 8) {
    _mm256_storeu_ps(p, _mm256_add_ps(_mm256_loadu_ps(p), v));
  } else if (m > 0) {
    __m256i k = lane_mask(m);
    _mm256_maskstore_ps(p, k, _mm256_add_ps(_mm256_maskload_ps(p, k), v));
  }
}

// Walks output pixels numbered over all n images, giving each one's top-left input offset without
// a division per pixel (divisions cost as much as a conv1 tile's arithmetic).
typedef struct {
  const bc_conv_shape *s;
  int *offsets;  // (oh * ow) in-image offsets, from one allocation per call
  int per, img, rem;
} pixel_walk;

static _Thread_local int failing_allocations;  // bc_conv_fail_allocations_for_testing

void bc_conv_fail_allocations_for_testing(int count) { failing_allocations = count; }

static void *kernel_malloc(size_t size) {
  if (failing_allocations > 0) {
    failing_allocations--;
    return NULL;
  }
  return malloc(size);
}

static int pixel_walk_init(pixel_walk *p, const bc_conv_shape *s) {
  p->s = s;
  p->per = s->oh * s->ow;
  p->img = p->rem = 0;
  p->offsets = kernel_malloc(sizeof(int) * (size_t)p->per);
  if (!p->offsets) return 0;
  for (int oy = 0, i = 0; oy < s->oh; oy++)
    for (int ox = 0; ox < s->ow; ox++, i++) p->offsets[i] = (oy * s->sy * s->w + ox * s->sx) * s->c;
  return 1;
}

// Offset of the pixel `ahead` places past the walk's position (scalars from the slice start).
static inline size_t pixel_walk_offset(const pixel_walk *p, int ahead) {
  int img = p->img, rem = p->rem + ahead;
  while (rem >= p->per) rem -= p->per, img++;
  return (size_t)img * p->s->h * p->s->w * p->s->c + (size_t)p->offsets[rem];
}

static inline void pixel_walk_advance(pixel_walk *p, int by) {
  p->rem += by;
  while (p->rem >= p->per) p->rem -= p->per, p->img++;
}


TARGET void bc_activation_delta(const float *dy, const float *y, int rows, int oc, int ocp, bc_activation act,
                                float *d, float *bias_grad) {
  for (int r = 0; r < rows; r++) {
    const float *dyr = dy + (size_t)r * oc, *yr = y + (size_t)r * oc;
    float *dr = d + (size_t)r * ocp;
    for (int c0 = 0; c0 < ocp; c0 += 8) {
      const int m = oc - c0;
      __m256 g, out;
      if (m >= 8) {
        g = _mm256_loadu_ps(dyr + c0), out = _mm256_loadu_ps(yr + c0);
      } else {
        const __m256i k = lane_mask(m > 0 ? m : 0);
        g = _mm256_maskload_ps(dyr + c0, k), out = _mm256_maskload_ps(yr + c0, k);
      }
      const __m256 delta = _mm256_mul_ps(g, activation_slope(out, act));
      _mm256_storeu_ps(dr + c0, delta);
      _mm256_storeu_ps(bias_grad + c0, _mm256_add_ps(_mm256_loadu_ps(bias_grad + c0), delta));
    }
  }
}

// ---- forward: y[q][c0 + 8v ...] = sum over (ky, j) of x[q's window][ky][j] * w[ky][j][c0 + 8v ...]
#define DEFINE_FORWARD(R, V)                                                                        \
  static TARGET void forward_##R##_##V(const bc_conv_shape *s, const float *const *xp,             \
                                       const float *w, const float *bias, int act,                  \
                                       float *const *yp, int valid, int c0) {                       \
    __m256 acc[R][V];                                                                               \
    UNROLL for (int r = 0; r < R; r++) UNROLL for (int v = 0; v < V; v++) acc[r][v] =             \
        _mm256_setzero_ps();                                                                        \
    const int run = s->kw * s->c, rs = s->w * s->c;                                                 \
    for (int ky = 0; ky < s->kh; ky++) {                                                            \
      const float *wk = w + (size_t)ky * run * 8 * V;                                               \
      const float *xr[R];                                                                           \
      UNROLL for (int r = 0; r < R; r++) xr[r] = xp[r] + (size_t)ky * rs;                           \
      for (int j = 0; j < run; j++) {                                                               \
        __m256 wv[V];                                                                               \
        UNROLL for (int v = 0; v < V; v++) wv[v] = _mm256_loadu_ps(wk + (size_t)j * 8 * V + 8 * v); \
        UNROLL for (int r = 0; r < R; r++) {                                                        \
          __m256 b = _mm256_broadcast_ss(xr[r] + j);                                                \
          UNROLL for (int v = 0; v < V; v++) acc[r][v] = _mm256_fmadd_ps(b, wv[v], acc[r][v]);      \
        }                                                                                           \
      }                                                                                             \
    }                                                                                               \
    __m256 bv[V];                                                                                   \
    UNROLL for (int v = 0; v < V; v++) bv[v] = _mm256_loadu_ps(bias + c0 + 8 * v);                  \
    UNROLL for (int r = 0; r < R; r++) if (r < valid) UNROLL for (int v = 0; v < V; v++)            \
        store_lanes(yp[r] + c0 + 8 * v, activate(_mm256_add_ps(acc[r][v], bv[v]), act),             \
                    s->oc - c0 - 8 * v);                                                            \
  }
DEFINE_FORWARD(3, 3)
DEFINE_FORWARD(6, 2)
DEFINE_FORWARD(8, 1)

// Images per pass: every channel (or run) tile walks the group's input, so a group sized to stay in
// L2 (512 KB per core here) is read from L3 once instead of once per tile.
static int image_group(const bc_conv_shape *s) {
  const size_t image_bytes = sizeof(float) * (size_t)s->h * s->w * s->c;
  const size_t group = (192u << 10) / (image_bytes ? image_bytes : 1);
  return group < 1 ? 1 : (int)group;
}

// Channels c_begin..<c_end (tile boundaries) of the group's output.
static void forward_group(const bc_conv_shape *s, pixel_walk *walk, const float *x, int n,
                          const float *wp, const float *bias, int act, float *y, int c_begin,
                          int c_end) {
  const int total = n * s->oh * s->ow, k_total = s->kh * s->kw * s->c;
  for (int c0 = c_begin; c0 < c_end;) {
    const int v = tile_vectors((s->ocp - c0) / 8), r = tile_rows(v);
    walk->img = walk->rem = 0;
    for (int q0 = 0; q0 < total; q0 += r, pixel_walk_advance(walk, r)) {
      const float *xp[8];
      float *yp[8];
      const int valid = total - q0 < r ? total - q0 : r;
      for (int i = 0; i < r; i++) {
        const int a = i < valid ? i : valid - 1;  // spare rows repeat the last pixel
        xp[i] = x + pixel_walk_offset(walk, a);
        yp[i] = y + (size_t)(q0 + a) * s->oc;
      }
      const float *w = wp + (size_t)k_total * c0;  // tiles before this one hold k_total * c0 scalars
      if (v == 3) forward_3_3(s, xp, w, bias, act, yp, valid, c0);
      else if (v == 2) forward_6_2(s, xp, w, bias, act, yp, valid, c0);
      else forward_8_1(s, xp, w, bias, act, yp, valid, c0);
    }
    c0 += 8 * v;
  }
}

bc_conv_status bc_conv_forward(const bc_conv_shape *s, const float *x, int n, const float *wp,
                               const float *bias, bc_activation act, float *y) {
  pixel_walk walk;
  if (!pixel_walk_init(&walk, s)) return BC_CONV_OUT_OF_MEMORY;
  const unsigned csr = flush_denormals();
  const int group = image_group(s);
  const size_t in = (size_t)s->h * s->w * s->c, out = (size_t)s->oh * s->ow * s->oc;
  for (int g0 = 0; g0 < n; g0 += group)
    forward_group(s, &walk, x + g0 * in, n - g0 < group ? n - g0 : group, wp, bias, act, y + g0 * out, 0,
                  s->ocp);
  free(walk.offsets);
  _mm_setcsr(csr);
  return BC_CONV_OK;
}

bc_conv_status bc_conv_forward_tiles(const bc_conv_shape *s, const float *x, const float *kernel,
                                     const float *bias, bc_activation act, int first_tile, int tiles,
                                     float *wp, float *y) {
  const int k = s->kh * s->kw * s->c;
  const int c_begin = tile_start(s->ocp, first_tile), c_end = tile_start(s->ocp, first_tile + tiles);
  if (c_begin >= c_end) return BC_CONV_OK;
  pixel_walk walk;
  if (!pixel_walk_init(&walk, s)) return BC_CONV_OUT_OF_MEMORY;
  float *packed_bias = wp + (size_t)k * s->ocp;
  for (int c0 = c_begin; c0 < c_end;) {
    const int width = 8 * tile_vectors((s->ocp - c0) / 8);
    pack_kernel_tile(kernel, k, s->oc, c0, width, wp + (size_t)k * c0);
    for (int c = c0; c < c0 + width; c++) packed_bias[c] = c < s->oc ? bias[c] : 0;
    c0 += width;
  }
  const unsigned csr = flush_denormals();
  forward_group(s, &walk, x, 1, wp, packed_bias, act, y, c_begin, c_end);
  free(walk.offsets);
  _mm_setcsr(csr);
  return BC_CONV_OK;
}

// ---- weight gradient: dw[k][c0 + 8v ...] += sum over pixels of x[pixel's window + off(k)] * d[pixel]
// Pixels come in chunks of whole output rows so the chunk's deltas stay in L1/L2 across k tiles.
#define DEFINE_WEIGHT_GRAD(R, V)                                                                    \
  static TARGET void weight_grad_##R##_##V(const bc_conv_shape *s, const float *const *rows,       \
                                           int nrows, const int *off, const float *d,               \
                                           float *const *dw, int valid) {                           \
    __m256 acc[R][V];                                                                               \
    UNROLL for (int r = 0; r < R; r++) UNROLL for (int v = 0; v < V; v++) acc[r][v] =             \
        _mm256_setzero_ps();                                                                        \
    const int ocp = s->ocp, step = s->sx * s->c;                                                    \
    int o[R];                                                                                       \
    UNROLL for (int r = 0; r < R; r++) o[r] = off[r];                                               \
    const float *dp = d;                                                                            \
    for (int t = 0; t < nrows; t++) {                                                               \
      const float *xb = rows[t];                                                                    \
      for (int ox = 0; ox < s->ow; ox++, xb += step, dp += ocp) {                                   \
        __m256 dv[V];                                                                               \
        UNROLL for (int v = 0; v < V; v++) dv[v] = _mm256_loadu_ps(dp + 8 * v);                     \
        UNROLL for (int r = 0; r < R; r++) {                                                        \
          __m256 b = _mm256_broadcast_ss(xb + o[r]);                                                \
          UNROLL for (int v = 0; v < V; v++) acc[r][v] = _mm256_fmadd_ps(b, dv[v], acc[r][v]);      \
        }                                                                                           \
      }                                                                                             \
    }                                                                                               \
    UNROLL for (int r = 0; r < R; r++) if (r < valid) UNROLL for (int v = 0; v < V; v++)            \
        add_lanes(dw[r] + 8 * v, acc[r][v], 8);                                                     \
  }
DEFINE_WEIGHT_GRAD(3, 3)
DEFINE_WEIGHT_GRAD(6, 2)
DEFINE_WEIGHT_GRAD(8, 1)

enum { CHUNK_PIXELS = 128, MAX_CHUNK_ROWS = 128 };

void bc_conv_weight_grad(const bc_conv_shape *s, const float *x, int n, const float *d, float *dwp) {
  const unsigned csr = flush_denormals();
  const int run = s->kw * s->c, k_total = s->kh * run, rs = s->w * s->c;
  const int total_rows = n * s->oh;
  int chunk = CHUNK_PIXELS / s->ow;
  chunk = chunk < 1 ? 1 : (chunk > MAX_CHUNK_ROWS ? MAX_CHUNK_ROWS : chunk);
  const float *rows[MAX_CHUNK_ROWS];
  for (int t0 = 0; t0 < total_rows; t0 += chunk) {
    const int nr = total_rows - t0 < chunk ? total_rows - t0 : chunk;
    for (int t = 0; t < nr; t++) {
      const int img = (t0 + t) / s->oh, oy = (t0 + t) % s->oh;
      rows[t] = x + ((size_t)img * s->h * s->w + (size_t)oy * s->sy * s->w) * s->c;
    }
    const float *dc = d + (size_t)t0 * s->ow * s->ocp;
    for (int c0 = 0; c0 < s->ocp;) {
      const int v = tile_vectors((s->ocp - c0) / 8), r = tile_rows(v);
      for (int k0 = 0; k0 < k_total; k0 += r) {
        int off[8];
        float *dw[8];
        const int valid = k_total - k0 < r ? k_total - k0 : r;
        for (int i = 0; i < r; i++) {
          const int k = k0 + (i < valid ? i : valid - 1);
          off[i] = (k / run) * rs + k % run;
          dw[i] = dwp + (size_t)k * s->ocp + c0;
        }
        if (v == 3) weight_grad_3_3(s, rows, nr, off, dc + c0, dw, valid);
        else if (v == 2) weight_grad_6_2(s, rows, nr, off, dc + c0, dw, valid);
        else weight_grad_8_1(s, rows, nr, off, dc + c0, dw, valid);
      }
      c0 += 8 * v;
    }
  }
  _mm_setcsr(csr);
}

// ---- input gradient: dx[q's window][ky][j0 + 8v ...] += sum over o of d[q][o] * wt[ky][o][j0 + 8v ...]
// One call covers every kernel row (ky) for its R pixels, so the call and pointer set-up is paid
// once per kh * oc * R * V FMAs rather than once per oc * R * V.
#define DEFINE_INPUT_GRAD(R, V)                                                                     \
  static TARGET void input_grad_##R##_##V(const bc_conv_shape *s, const float *const *dp,          \
                                          const float *wt, float *const *xb, int valid,             \
                                          int last_lanes) {                                         \
    const int rs = s->w * s->c;                                                                     \
    for (int ky = 0; ky < s->kh; ky++, wt += (size_t)s->oc * 8 * V) {                               \
      __m256 acc[R][V];                                                                             \
      UNROLL for (int r = 0; r < R; r++) UNROLL for (int v = 0; v < V; v++) acc[r][v] =           \
          _mm256_setzero_ps();                                                                      \
      for (int o = 0; o < s->oc; o++) {                                                             \
        __m256 wv[V];                                                                               \
        UNROLL for (int v = 0; v < V; v++) wv[v] = _mm256_loadu_ps(wt + (size_t)o * 8 * V + 8 * v); \
        UNROLL for (int r = 0; r < R; r++) {                                                        \
          __m256 b = _mm256_broadcast_ss(dp[r] + o);                                                \
          UNROLL for (int v = 0; v < V; v++) acc[r][v] = _mm256_fmadd_ps(b, wv[v], acc[r][v]);      \
        }                                                                                           \
      }                                                                                             \
      UNROLL for (int r = 0; r < R; r++) if (r < valid) UNROLL for (int v = 0; v < V; v++)          \
          add_lanes(xb[r] + (size_t)ky * rs + 8 * v, acc[r][v], v == V - 1 ? last_lanes : 8);       \
    }                                                                                               \
  }
DEFINE_INPUT_GRAD(3, 3)
DEFINE_INPUT_GRAD(6, 2)
DEFINE_INPUT_GRAD(8, 1)

static void input_grad_group(const bc_conv_shape *s, pixel_walk *walk, const float *d, int n,
                             const float *wt, float *dx) {
  const int run = s->kw * s->c, runp = (run + 7) / 8 * 8;
  const int total = n * s->oh * s->ow;
  for (int j0 = 0; j0 < runp;) {
    const int v = tile_vectors((runp - j0) / 8), r = tile_rows(v);
    const int last_lanes = j0 + 8 * v == runp ? run - (runp - 8) : 8;
    walk->img = walk->rem = 0;
    for (int q0 = 0; q0 < total; q0 += r, pixel_walk_advance(walk, r)) {
      const float *dp[8];
      float *xb[8];
      const int valid = total - q0 < r ? total - q0 : r;
      for (int i = 0; i < r; i++) {
        const int a = i < valid ? i : valid - 1;
        dp[i] = d + (size_t)(q0 + a) * s->ocp;
        xb[i] = dx + pixel_walk_offset(walk, a) + j0;
      }
      // Tiles before this one hold kh * oc * j0 scalars; this one is (kh, oc, 8v).
      const float *w = wt + (size_t)s->kh * s->oc * j0;
      if (v == 3) input_grad_3_3(s, dp, w, xb, valid, last_lanes);
      else if (v == 2) input_grad_6_2(s, dp, w, xb, valid, last_lanes);
      else input_grad_8_1(s, dp, w, xb, valid, last_lanes);
    }
    j0 += 8 * v;
  }
}

bc_conv_status bc_conv_input_grad(const bc_conv_shape *s, const float *d, int n, const float *wt, float *dx) {
  pixel_walk walk;
  if (!pixel_walk_init(&walk, s)) return BC_CONV_OUT_OF_MEMORY;
  const unsigned csr = flush_denormals();
  const size_t in = (size_t)s->h * s->w * s->c, out = (size_t)s->oh * s->ow * s->ocp;
  memset(dx, 0, sizeof(float) * (size_t)n * in);
  const int group = image_group(s);
  for (int g0 = 0; g0 < n; g0 += group)
    input_grad_group(s, &walk, d + g0 * out, n - g0 < group ? n - g0 : group, wt, dx + g0 * in);
  free(walk.offsets);
  _mm_setcsr(csr);
  return BC_CONV_OK;
}

#else
// Other architectures: callers see 0 and take the im2col + GEMM path; these are never reached.
int bc_conv_kernels_available(void) { return 0; }
bc_conv_status bc_conv_forward(const bc_conv_shape *s, const float *x, int n, const float *wp,
                               const float *bias, bc_activation act, float *y) {
  return BC_CONV_OK;
}
void bc_conv_weight_grad(const bc_conv_shape *s, const float *x, int n, const float *d, float *dwp) {}
bc_conv_status bc_conv_forward_tiles(const bc_conv_shape *s, const float *x, const float *kernel,
                                     const float *bias, bc_activation act, int first_tile, int tiles,
                                     float *wp, float *y) {
  return BC_CONV_OK;
}
bc_conv_status bc_conv_input_grad(const bc_conv_shape *s, const float *d, int n, const float *wt, float *dx) {
  return BC_CONV_OK;
}
void bc_conv_fail_allocations_for_testing(int count) {}
#endif
