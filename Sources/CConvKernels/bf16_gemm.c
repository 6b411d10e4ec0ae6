// BF16 GEMM micro-kernels (AVX-512 BF16). Each keeps an R x V block of 16-float accumulators in
// zmm registers (R * V <= 24 of the 32), broadcasts one 32-bit k-pair of A per row and loads V
// whole 16-column vectors of B-pairs per k-pair: vdpbf16ps then does 32 multiply-adds per
// instruction, twice an FP32 FMA's 16. Blocked over k and rows so the A and B panels a tile
// streams stay in L2.
#include "bf16_gemm.h"

#include <string.h>

#include "bf16_pairs.h"

uint16_t bc_bf16_from_float(float x) {
  uint32_t bits;
  memcpy(&bits, &x, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40);  // NaN
  if ((bits & 0x7f800000u) == 0) return (uint16_t)((bits >> 16) & 0x8000);  // denormal: as vcvtneps2bf16
  return (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

static void pack_a_scalar(const float *a, int m, int k, int lda, int trans, uint16_t *dst) {
  const int kp = (k + 1) & ~1;
  for (int i = 0; i < m; i++) {
    uint16_t *row = dst + (size_t)i * kp;
    if (trans)
      for (int p = 0; p < k; p++) row[p] = bc_bf16_from_float(a[(size_t)p * lda + i]);
    else
      for (int p = 0; p < k; p++) row[p] = bc_bf16_from_float(a[(size_t)i * lda + p]);
    if (kp > k) row[k] = 0;
  }
}

static void pack_b_scalar(const float *b, int k, int n, int ldb, int trans, uint16_t *dst) {
  const int kp = (k + 1) & ~1, np = (n + 15) & ~15;
  for (int p2 = 0; p2 < kp / 2; p2++) {
    uint16_t *out = dst + (size_t)p2 * np * 2;
    for (int h = 0; h < 2; h++) {
      const int p = 2 * p2 + h;
      if (p >= k) {
        for (int j = 0; j < np; j++) out[2 * j + h] = 0;
      } else if (trans) {
        for (int j = 0; j < n; j++) out[2 * j + h] = bc_bf16_from_float(b[(size_t)j * ldb + p]);
      } else {
        const float *src = b + (size_t)p * ldb;
        for (int j = 0; j < n; j++) out[2 * j + h] = bc_bf16_from_float(src[j]);
      }
      for (int j = n; j < np; j++) out[2 * j + h] = 0;
    }
  }
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int bc_bf16_available(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  if (!(c & (1u << 27))) return 0;  // OSXSAVE
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0xe6) != 0xe6) return 0;  // the OS saves xmm, ymm, opmask and both zmm halves
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  const unsigned f = 1u << 16, bw = 1u << 30, vl = 1u << 31;
  if ((b & (f | bw | vl)) != (f | bw | vl)) return 0;
  if (a < 1) return 0;  // no subleaf 1
  __cpuid_count(7, 1, a, b, c, d);
  return (a & (1u << 5)) != 0;  // AVX512_BF16
}

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define UNROLL _Pragma("clang loop unroll(full)")

static int have_bf16 = -1;  // cached bc_bf16_available(); races only write the same value

// Untransposed packing, 16 scalars per conversion (vcvtneps2bf16 rounds as bc_bf16_from_float).
static TARGET void pack_a_avx512(const float *a, int m, int k, int lda, uint16_t *dst) {
  const int kp = (k + 1) & ~1;
  for (int i = 0; i < m; i++) {
    const float *src = a + (size_t)i * lda;
    uint16_t *row = dst + (size_t)i * kp;
    int p = 0;
    for (; p + 16 <= k; p += 16)
      _mm256_storeu_si256((__m256i *)(row + p), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + p)));
    if (p < k) {
      const __mmask16 mask = (__mmask16)((1u << (k - p)) - 1);
      const __m256i v = (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, src + p));
      _mm256_mask_storeu_epi16(row + p, mask, v);
    }
    if (kp > k) row[k] = 0;
  }
}

// Rows p and p + 1 of b, 16 columns at a time: convert both, then interleave them into pairs.
static TARGET void pack_b_avx512(const float *b, int k, int n, int ldb, uint16_t *dst) {
  const int kp = (k + 1) & ~1, np = (n + 15) & ~15;
  static const uint16_t order[32] = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
                                     8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  const __m512i index = _mm512_loadu_si512(order);
  for (int p = 0; p < kp; p += 2) {
    const float *r0 = b + (size_t)p * ldb, *r1 = r0 + ldb;
    uint16_t *out = dst + (size_t)p * np;
    for (int j = 0; j < np; j += 16) {
      const int lanes = n - j >= 16 ? 16 : (n - j > 0 ? n - j : 0);
      const __mmask16 mask = (__mmask16)((1u << lanes) - 1);
      const __m512 lo = _mm512_maskz_loadu_ps(mask, r0 + j);
      const __m512 hi = p + 1 < k ? _mm512_maskz_loadu_ps(mask, r1 + j) : _mm512_setzero_ps();
      const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);  // lo in elements 0-15, hi in 16-31
      _mm512_storeu_si512(out + 2 * j, _mm512_permutexvar_epi16(index, both));
    }
  }
}

// Transposed: a is (k, m). Rows p and p + 1 hold 16 destination rows' k-pairs side by side:
// convert, interleave, and copy each 32-bit pair to its row.
static TARGET void pack_a_transposed_avx512(const float *a, int m, int k, int lda, uint16_t *dst) {
  static const uint16_t order[32] = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
                                     8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  const __m512i index = _mm512_loadu_si512(order);
  const int kp = (k + 1) & ~1;
  for (int i0 = 0; i0 < m; i0 += 16) {
    const int lanes = m - i0 < 16 ? m - i0 : 16;
    const __mmask16 mask = (__mmask16)((1u << lanes) - 1);
    for (int p = 0; p < kp; p += 2) {
      const __m512 lo = _mm512_maskz_loadu_ps(mask, a + (size_t)p * lda + i0);
      const __m512 hi = p + 1 < k ? _mm512_maskz_loadu_ps(mask, a + (size_t)(p + 1) * lda + i0) : _mm512_setzero_ps();
      uint32_t pairs[16];
      _mm512_storeu_si512(pairs, _mm512_permutexvar_epi16(index, (__m512i)_mm512_cvtne2ps_pbh(hi, lo)));
      for (int l = 0; l < lanes; l++) memcpy(dst + (size_t)(i0 + l) * kp + p, pairs + l, 4);
    }
  }
}

void bc_bf16_pack_a(const float *a, int m, int k, int lda, int trans, uint16_t *dst) {
  if (have_bf16 < 0) have_bf16 = bc_bf16_available();
  if (!have_bf16) pack_a_scalar(a, m, k, lda, trans, dst);
  else if (trans) pack_a_transposed_avx512(a, m, k, lda, dst);
  else pack_a_avx512(a, m, k, lda, dst);
}

void bc_bf16_pack_b(const float *b, int k, int n, int ldb, int trans, uint16_t *dst) {
  if (have_bf16 < 0) have_bf16 = bc_bf16_available();
  if (!trans && have_bf16) pack_b_avx512(b, k, n, ldb, dst);
  else pack_b_scalar(b, k, n, ldb, trans, dst);
}

// Writes (or adds) the first `lanes` columns of v to row pointer p with column stride cs.
static inline TARGET void put(float *p, ptrdiff_t cs, __m512 v, int lanes, int accumulate) {
  if (lanes <= 0) return;
  if (cs == 1) {
    const __mmask16 k = lanes >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << lanes) - 1);
    if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(k, p));
    _mm512_mask_storeu_ps(p, k, v);
  } else {
    float t[16];
    _mm512_storeu_ps(t, v);
    for (int j = 0; j < lanes && j < 16; j++) p[j * cs] = accumulate ? p[j * cs] + t[j] : t[j];
  }
}

// rows[r] points at row r's k-pairs (kp2 of them, 32 bits each); b at this tile's first column
// of a (kp2, np, 2) panel. c: row r at c + r * rs, columns with stride cs; `cols` columns exist.
#define DEFINE_TILE(R, V)                                                                          \
  static TARGET void tile_##R##_##V(const uint16_t *const *rows, int kp2, const uint16_t *b,      \
                                    int np, float *c, ptrdiff_t rs, ptrdiff_t cs, int valid,       \
                                    int cols, int accumulate) {                                    \
    __m512 acc[R][V];                                                                              \
    UNROLL for (int r = 0; r < R; r++) UNROLL for (int v = 0; v < V; v++) acc[r][v] =            \
        _mm512_setzero_ps();                                                                       \
    for (int p = 0; p < kp2; p++, b += (size_t)np * 2) {                                           \
      __m512i bv[V];                                                                               \
      UNROLL for (int v = 0; v < V; v++) bv[v] = _mm512_loadu_si512(b + 32 * v);                  \
      UNROLL for (int r = 0; r < R; r++) {                                                         \
        int32_t pair;                                                                              \
        memcpy(&pair, rows[r] + 2 * p, 4);                                                         \
        const __m512i a = _mm512_set1_epi32(pair);                                                 \
        UNROLL for (int v = 0; v < V; v++) acc[r][v] =                                             \
            _mm512_dpbf16_ps(acc[r][v], (__m512bh)a, (__m512bh)bv[v]);                             \
      }                                                                                            \
    }                                                                                              \
    UNROLL for (int r = 0; r < R; r++) if (r < valid) UNROLL for (int v = 0; v < V; v++)           \
        put(c + r * rs + 16 * v * cs, cs, acc[r][v], cols - 16 * v, accumulate);                   \
  }
DEFINE_TILE(6, 4)
DEFINE_TILE(8, 3)
DEFINE_TILE(12, 2)
DEFINE_TILE(16, 1)

static inline int tile_vectors(int remaining) {
  return remaining <= 4 ? remaining : (remaining <= 6 ? 3 : 4);
}
static inline int tile_rows(int v) { return v == 4 ? 6 : (v == 3 ? 8 : (v == 2 ? 12 : 16)); }

enum { K_BLOCK = 192, M_BLOCK = 96 };  // k-pairs and rows per block: A block 72 KB, in L2

TARGET void bc_bf16_gemm(int m, int n, int k, const uint16_t *ap, const uint16_t *bp, float *c, ptrdiff_t rs,
                         ptrdiff_t cs, int accumulate) {
  if (m <= 0 || n <= 0) return;
  const int kp = (k + 1) & ~1, kp2 = kp / 2, np = (n + 15) & ~15, nv = np / 16;
  if (kp2 == 0) {  // empty sum
    if (!accumulate)
      for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) c[i * rs + j * cs] = 0;
    return;
  }
  // vdpbf16ps flushes denormal results and treats denormal inputs as zero whatever MXCSR says.
  for (int p0 = 0; p0 < kp2; p0 += K_BLOCK) {
    const int pb = kp2 - p0 < K_BLOCK ? kp2 - p0 : K_BLOCK;
    const int acc_flag = accumulate || p0 > 0;
    for (int i0 = 0; i0 < m; i0 += M_BLOCK) {
      const int mb = m - i0 < M_BLOCK ? m - i0 : M_BLOCK;
      for (int v0 = 0; v0 < nv;) {
        const int v = tile_vectors(nv - v0), r = tile_rows(v);
        const uint16_t *b = bp + ((size_t)p0 * np + (size_t)v0 * 16) * 2;
        for (int i = i0; i < i0 + mb; i += r) {
          const int valid = i0 + mb - i < r ? i0 + mb - i : r;
          const uint16_t *rows[16];
          for (int t = 0; t < r; t++) rows[t] = ap + (size_t)(i + (t < valid ? t : valid - 1)) * kp + 2 * p0;
          float *ct = c + i * rs + v0 * 16 * cs;
          const int cols = n - v0 * 16;
          if (v == 4) tile_6_4(rows, pb, b, np, ct, rs, cs, valid, cols, acc_flag);
          else if (v == 3) tile_8_3(rows, pb, b, np, ct, rs, cs, valid, cols, acc_flag);
          else if (v == 2) tile_12_2(rows, pb, b, np, ct, rs, cs, valid, cols, acc_flag);
          else tile_16_1(rows, pb, b, np, ct, rs, cs, valid, cols, acc_flag);
        }
        v0 += v;
      }
    }
  }
}
// `count` contiguous floats to bf16 at dst.
static inline TARGET void convert_run(const float *src, int count, uint16_t *dst) {
  int j = 0;
  for (; j + 16 <= count; j += 16)
    _mm256_storeu_si256((__m256i *)(dst + j), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + j)));
  if (j < count) {
    const __mmask16 mask = (__mmask16)((1u << (count - j)) - 1);
    _mm256_mask_storeu_epi16(dst + j, mask, (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, src + j)));
  }
}

static TARGET void convert_avx512(const float *src, size_t count, uint16_t *dst) {
  for (size_t done = 0; done < count;) {
    const int part = count - done > (1u << 20) ? (1 << 20) : (int)(count - done);
    convert_run(src + done, part, dst + done);
    done += (size_t)part;
  }
}

void bc_bf16_convert(const float *src, size_t count, uint16_t *dst) {
  if (have_bf16 < 0) have_bf16 = bc_bf16_available();
  if (have_bf16) convert_avx512(src, count, dst);
  else
    for (size_t i = 0; i < count; i++) dst[i] = bc_bf16_from_float(src[i]);
}

// The same run of two pixels (r1 NULL: a zero pixel), interleaved into pairs at dst.
static inline TARGET void convert_run_pair(const float *r0, const float *r1, int count, uint16_t *dst,
                                           __m512i index) {
  for (int j = 0; j < count; j += 16) {
    const int lanes = count - j >= 16 ? 16 : count - j;
    const __mmask16 mask = (__mmask16)((1u << lanes) - 1);
    const __m512 lo = _mm512_maskz_loadu_ps(mask, r0 + j);
    const __m512 hi = r1 ? _mm512_maskz_loadu_ps(mask, r1 + j) : _mm512_setzero_ps();
    const __m512i both = _mm512_permutexvar_epi16(index, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    const __mmask32 out = lanes == 16 ? (__mmask32)0xffffffffu : (__mmask32)((1u << (2 * lanes)) - 1);
    _mm512_mask_storeu_epi16(dst + 2 * j, out, both);
  }
}

TARGET void bc_bf16_interleave(const float *r0, const float *r1, int count, uint16_t *dst) {
  static const uint16_t order[32] = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
                                     8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  convert_run_pair(r0, r1, count, dst, _mm512_loadu_si512(order));
}

#else
int bc_bf16_available(void) { return 0; }
void bc_bf16_interleave(const float *r0, const float *r1, int count, uint16_t *dst) {}
void bc_bf16_convert(const float *src, size_t count, uint16_t *dst) {
  for (size_t i = 0; i < count; i++) dst[i] = bc_bf16_from_float(src[i]);
}
void bc_bf16_pack_a(const float *a, int m, int k, int lda, int trans, uint16_t *dst) {
  pack_a_scalar(a, m, k, lda, trans, dst);
}
void bc_bf16_pack_b(const float *b, int k, int n, int ldb, int trans, uint16_t *dst) {
  pack_b_scalar(b, k, n, ldb, trans, dst);
}
void bc_bf16_gemm(int m, int n, int k, const uint16_t *ap, const uint16_t *bp, float *c, ptrdiff_t rs,
                  ptrdiff_t cs, int accumulate) {}
#endif
