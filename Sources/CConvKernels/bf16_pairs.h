#ifndef BC_BF16_PAIRS_H
#define BC_BF16_PAIRS_H
// Module-private: count floats of r0 and of r1 (NULL: zeros) -> count bf16 pairs (r0[i], r1[i]) at
// dst, 2 * count UInt16s. AVX-512 BF16 only (bf16_gemm.c); callers check bc_bf16_available().
#include <stdint.h>

void bc_bf16_interleave(const float *r0, const float *r1, int count, uint16_t *dst);
#endif
