#include "peak_kernels.h"

// Each accumulator is its own dependency chain. A chain issues one FMA per FMA latency (4 cycles on
// Zen 4 and Skylake), so covering two FMA pipes needs at least 8 chains: 12 vectors for AVX2 (of 16
// registers), 24 for AVX-512 (of 32). acc = acc * m + c with m < 1 converges to c / (1 - m): no
// overflow and no denormals, which would take microcode assists.
#define CHAINS_AVX2 12
#define CHAINS_AVX512 24
#define CHAINS_PORTABLE 16
#define CHAINS_BF16 24  // vdpbf16ps: latency 6, one zmm per cycle on Zen 4

// Portable C: whatever the baseline target gives (SSE2 multiply + add on x86-64, no FMA).
static float run_portable(long iterations, double *flops) {
  float acc[CHAINS_PORTABLE];
  for (int i = 0; i < CHAINS_PORTABLE; i++) acc[i] = (float)i * 0.01f;
  const volatile float mv = 0.999f, cv = 0.001f;  // volatile: not folded into a closed form
  const float m = mv, c = cv;
  for (long n = 0; n < iterations; n++)
    for (int i = 0; i < CHAINS_PORTABLE; i++) acc[i] = acc[i] * m + c;
  float sum = 0;
  for (int i = 0; i < CHAINS_PORTABLE; i++) sum += acc[i];
  *flops = 2.0 * CHAINS_PORTABLE * (double)iterations;
  return sum;
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

// Register state the OS saves (XCR0): bits 1-2 for xmm/ymm, 5-7 for opmask and zmm.
static unsigned os_saved_state(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0;  // OSXSAVE
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return lo;
}

int bc_peak_path_available(int path) {
  unsigned a, b, c, d;
  switch (path) {
  case BC_PEAK_PORTABLE:
    return 1;
  case BC_PEAK_AVX2:
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 12))) return 0;  // FMA
    if ((os_saved_state() & 6) != 6) return 0;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 5));  // AVX2
  case BC_PEAK_AVX512:
    if ((os_saved_state() & 0xe6) != 0xe6) return 0;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 16));  // AVX-512F
  case BC_PEAK_BF16:
    if (!bc_peak_path_available(BC_PEAK_AVX512)) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || a < 1) return 0;  // no subleaf 1
    __cpuid_count(7, 1, a, b, c, d);
    return (a & (1u << 5)) != 0;  // AVX512_BF16
  default:
    return 0;
  }
}

__attribute__((target("avx2,fma"))) static float run_avx2(long iterations, double *flops) {
  __m256 acc[CHAINS_AVX2];
  for (int i = 0; i < CHAINS_AVX2; i++) acc[i] = _mm256_set1_ps((float)i * 0.01f);
  const volatile float mv = 0.999f, cv = 0.001f;
  const __m256 m = _mm256_set1_ps(mv), c = _mm256_set1_ps(cv);
  for (long n = 0; n < iterations; n++)
    _Pragma("clang loop unroll(full)") for (int i = 0; i < CHAINS_AVX2; i++) acc[i] =
        _mm256_fmadd_ps(acc[i], m, c);
  __m256 sum = acc[0];
  for (int i = 1; i < CHAINS_AVX2; i++) sum = _mm256_add_ps(sum, acc[i]);
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  *flops = 2.0 * 8 * CHAINS_AVX2 * (double)iterations;
  return lanes[0] + lanes[7];
}

__attribute__((target("avx512f"))) static float run_avx512(long iterations, double *flops) {
  __m512 acc[CHAINS_AVX512];
  for (int i = 0; i < CHAINS_AVX512; i++) acc[i] = _mm512_set1_ps((float)i * 0.01f);
  const volatile float mv = 0.999f, cv = 0.001f;
  const __m512 m = _mm512_set1_ps(mv), c = _mm512_set1_ps(cv);
  for (long n = 0; n < iterations; n++)
    _Pragma("clang loop unroll(full)") for (int i = 0; i < CHAINS_AVX512; i++) acc[i] =
        _mm512_fmadd_ps(acc[i], m, c);
  __m512 sum = acc[0];
  for (int i = 1; i < CHAINS_AVX512; i++) sum = _mm512_add_ps(sum, acc[i]);
  *flops = 2.0 * 16 * CHAINS_AVX512 * (double)iterations;
  return _mm512_reduce_add_ps(sum);
}

// acc += a . b over bfloat16 pairs with a = b = (1, 0) x 2^-20: each step adds 2^-40, far above
// the denormal range and far below overflow for any run length.
__attribute__((target("avx512f,avx512bf16"))) static float run_bf16(long iterations, double *flops) {
  __m512 acc[CHAINS_BF16];
  for (int i = 0; i < CHAINS_BF16; i++) acc[i] = _mm512_set1_ps((float)i * 0.01f);
  const volatile int pair = 0x00003580;  // bf16 2^-20 in the low half, 0 in the high half
  const __m512bh a = (__m512bh)_mm512_set1_epi32(pair);
  for (long n = 0; n < iterations; n++)
    _Pragma("clang loop unroll(full)") for (int i = 0; i < CHAINS_BF16; i++) acc[i] =
        _mm512_dpbf16_ps(acc[i], a, a);
  __m512 sum = acc[0];
  for (int i = 1; i < CHAINS_BF16; i++) sum = _mm512_add_ps(sum, acc[i]);
  *flops = 4.0 * 16 * CHAINS_BF16 * (double)iterations;
  return _mm512_reduce_add_ps(sum);
}

float bc_peak_run(int path, long iterations, double *flops) {
  switch (path) {
  case BC_PEAK_BF16:
    if (bc_peak_path_available(path)) return run_bf16(iterations, flops);
    break;
  case BC_PEAK_AVX2:
    if (bc_peak_path_available(path)) return run_avx2(iterations, flops);
    break;
  case BC_PEAK_AVX512:
    if (bc_peak_path_available(path)) return run_avx512(iterations, flops);
    break;
  }
  return run_portable(iterations, flops);
}

#else
int bc_peak_path_available(int path) { return path == BC_PEAK_PORTABLE; }

float bc_peak_run(int path, long iterations, double *flops) {
  (void)path;
  return run_portable(iterations, flops);
}
#endif
