#ifndef BC_BF16_GEMM_H
#define BC_BF16_GEMM_H
// BF16 GEMM for mixed-precision training: operands rounded to bfloat16 (nearest, ties to even),
// products summed in FP32 by AVX-512 BF16's vdpbf16ps, which multiplies and adds two k-adjacent
// pairs per 32-bit lane. Operands are packed so each pair is one 32-bit element:
//   A (m, k)  -> (m, kp) rows, kp = roundup(k, 2): element (i, p) at i * kp + p;
//   B (k, n)  -> (kp / 2, np, 2), np = roundup(n, 16): element (p, j) at ((p / 2) * np + j) * 2 + p % 2.
// Padding is zero, so a partial pair or lane adds nothing.
#include <stddef.h>
#include <stdint.h>

// 1 when this CPU has AVX-512F/BW/VL + AVX512_BF16 and the OS saves zmm state; 0 elsewhere.
int bc_bf16_available(void);

// Round to nearest even: the bfloat16 bits of x (NaN stays NaN, quieted). Portable C.
uint16_t bc_bf16_from_float(float x);

// count floats -> bfloat16, exactly count written (vcvtneps2bf16; the scalar rounding without
// AVX-512 BF16).
void bc_bf16_convert(const float *src, size_t count, uint16_t *dst);

// op(a) (m, k) -> packed A. trans 0: op(a)[i][p] = a[i * lda + p]; trans 1: a[p * lda + i].
void bc_bf16_pack_a(const float *a, int m, int k, int lda, int trans, uint16_t *dst);
// op(b) (k, n) -> packed B. trans 0: op(b)[p][j] = b[p * ldb + j]; trans 1: b[j * ldb + p].
void bc_bf16_pack_b(const float *b, int k, int n, int ldb, int trans, uint16_t *dst);

// c[i * rs + j * cs] = (accumulate ? c[...] : 0) + sum_p A[i][p] * B[p][j] for (m, n) outputs,
// on packed operands of inner size k. Needs bc_bf16_available(); does nothing otherwise.
void bc_bf16_gemm(int m, int n, int k, const uint16_t *ap, const uint16_t *bp, float *c, ptrdiff_t rs,
                  ptrdiff_t cs, int accumulate);

#endif
