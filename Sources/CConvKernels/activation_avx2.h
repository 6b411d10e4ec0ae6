#ifndef BC_ACTIVATION_AVX2_H
#define BC_ACTIVATION_AVX2_H
// The activations fused into the convolution kernels' stores, 8 lanes at a time (AVX2 + FMA), shared
// by the FP32 kernels (conv_kernels.c) and the BF16 ones (bf16_conv.c, whose AVX-512 target
// includes AVX2). Private to this module: include after <immintrin.h>.
#include "conv_kernels.h"

#define BC_AVX2 __attribute__((target("avx2,fma")))

// expm1(x) for x <= 0, the algorithm of TensorCore's expm1NonPositive (FastMath.swift) in 8 lanes:
// x = k ln2 + r, then 2^k q(r) + (2^k - 1) with q the degree-7 Taylor polynomial of expm1.
static inline BC_AVX2 __m256 expm1_nonpositive(__m256 x) {
  const __m256 magic = _mm256_set1_ps(12582912.f);
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.f));
  const __m256 kb = _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), magic);
  const __m256 k = _mm256_sub_ps(kb, magic);
  __m256 r = _mm256_sub_ps(x, _mm256_mul_ps(k, _mm256_set1_ps(0.693145752f)));
  r = _mm256_sub_ps(r, _mm256_mul_ps(k, _mm256_set1_ps(1.4286068e-6f)));
  __m256 q = _mm256_add_ps(_mm256_mul_ps(r, _mm256_set1_ps(1.f / 5040)), _mm256_set1_ps(1.f / 720));
  q = _mm256_add_ps(_mm256_mul_ps(q, r), _mm256_set1_ps(1.f / 120));
  q = _mm256_add_ps(_mm256_mul_ps(q, r), _mm256_set1_ps(1.f / 24));
  q = _mm256_add_ps(_mm256_mul_ps(q, r), _mm256_set1_ps(1.f / 6));
  q = _mm256_add_ps(_mm256_mul_ps(q, r), _mm256_set1_ps(0.5f));
  q = _mm256_add_ps(_mm256_mul_ps(q, r), _mm256_set1_ps(1.f));
  q = _mm256_mul_ps(q, r);
  const __m256i bits = _mm256_add_epi32(
      _mm256_sub_epi32(_mm256_castps_si256(kb), _mm256_set1_epi32(0x4B400000)), _mm256_set1_epi32(127));
  const __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(bits, 23));
  return _mm256_add_ps(_mm256_mul_ps(scale, q), _mm256_sub_ps(scale, _mm256_set1_ps(1.f)));
}

static inline BC_AVX2 __m256 activate(__m256 v, bc_activation act) {
  if (act == BC_ACTIVATION_RELU) return _mm256_max_ps(v, _mm256_setzero_ps());
  if (act == BC_ACTIVATION_ELU) {
    const __m256 positive = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GT_OQ);
    return _mm256_blendv_ps(expm1_nonpositive(_mm256_min_ps(v, _mm256_setzero_ps())), v, positive);
  }
  return v;
}

// act'(y) from the output y: relu 1 where y > 0; elu 1 where y > 0, else y + 1.
static inline BC_AVX2 __m256 activation_slope(__m256 y, bc_activation act) {
  const __m256 one = _mm256_set1_ps(1.f);
  const __m256 positive = _mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_GT_OQ);
  if (act == BC_ACTIVATION_RELU) return _mm256_and_ps(one, positive);
  if (act == BC_ACTIVATION_ELU) return _mm256_blendv_ps(_mm256_add_ps(y, one), one, positive);
  return one;
}
#endif
