#ifndef BC_BF16_CONV_H
#define BC_BF16_CONV_H
// Direct NHWC convolution in BF16 mixed precision (AVX-512 BF16 on 256-bit vectors): forward and
// input gradient read bfloat16 images and deltas in place, with no patch matrix, the structure of
// conv_kernels.h's FP32 kernels with k-pairs: one 32-bit broadcast holds two neighbours along the
// summed axis and one `vdpbf16ps` adds both products into FP32 lanes. Zen 4 runs two 8-lane
// vdpbf16ps per cycle (the rate of one 16-lane), so 8-channel tiles waste no throughput and pad
// 36 channels to 40, not 48.
//
// Shapes as conv_kernels.h (bc_conv_shape; windows inside the image). run = kw * c scalars of one
// kernel row are contiguous; pairs are (2i, 2i + 1) within a row, and an odd row's last scalar is
// paired with zero.
#include <stddef.h>
#include <stdint.h>

#include "conv_kernels.h"

// UInt16s of the packed kernels: forward kh * roundup(run, 2) * ocp; input gradient
// kh * roundup(oc, 2) * roundup(run, 8).
size_t bc_bf16_conv_kernel_count(const bc_conv_shape *s);
size_t bc_bf16_conv_transposed_kernel_count(const bc_conv_shape *s);

// kb: the kernel (kh * run rows, oc) already rounded to bf16 as bc_bf16_pack_a writes it (rows of
// roundup(oc, 2)) -> tiles for bc_bf16_conv_forward: per channel tile of width 8V,
// (kh, run / 2 rounded up, 8V, 2) with zeros beyond run and oc.
void bc_bf16_pack_conv_kernel(const bc_conv_shape *s, const uint16_t *kb, uint16_t *dst);
// kb as above -> tiles for bc_bf16_conv_input_grad: per run tile of width 8V,
// (kh, oc / 2 rounded up, 8V, 2) with zeros beyond run and oc. dst 4-byte aligned.
void bc_bf16_pack_conv_transposed_kernel(const bc_conv_shape *s, const uint16_t *kb, uint16_t *dst);

// y (n * oh * ow, oc) = act(conv(xb, wp) + bias), bias and activation in FP32 registers; xb: n
// bf16 images (h, w, c); wp: from bc_bf16_pack_conv_kernel; bias: oc floats. Needs
// bc_bf16_available(). Allocates nothing.
void bc_bf16_conv_forward(const bc_conv_shape *s, const uint16_t *xb, int n, const uint16_t *wp,
                          const float *bias, bc_activation act, float *y);

// dx (n, h, w, c) = the adjoint of forward applied to db (n * oh * ow rows of roundup(oc, 2) bf16,
// zero-padded); overwrites dx. wt: from bc_bf16_pack_conv_transposed_kernel. Needs bc_bf16_available().
// Allocates nothing. A tile of pixels never spans two images, so each dx element sums in an order
// set by its own image alone: the result does not depend on how images are split across calls.
void bc_bf16_conv_input_grad(const bc_conv_shape *s, const uint16_t *db, int n, const uint16_t *wt, float *dx);

// Weight gradient: the sum over pixels runs in pairs of horizontal neighbours (ox, ox + 1) of one
// output row, whose windows lie sx * c scalars apart for every kernel offset. So one 32-bit load
// of xs[i] = (x[i], x[i + sx * c]) gives any offset's input pair, and one vector of dp, the pair's
// deltas interleaved per channel, gives the other operand.
//
// x (n, h, w, c) -> xs: n * h * w * c pairs of bf16 (2 UInt16s each), the second zero where
// i + sx * c leaves the image.
void bc_bf16_shifted_pairs(const bc_conv_shape *s, const float *x, int n, uint16_t *xs);
// d (n * oh * ow rows of ldd floats, oc used) -> dp: n * oh * roundup(ow, 2) / 2 pixel pairs, each
// (ocp, 2) bf16 with ocp = roundup(oc, 8); zero beyond oc and for an odd row's missing neighbour.
void bc_bf16_delta_pairs(const bc_conv_shape *s, const float *d, int ldd, int n, uint16_t *dp);
// dwp (k = kh * kw * c, ocp) += sum over the n images' pixels of patch(x) (x) d, from xs and dp.
// Needs bc_bf16_available(); allocates nothing.
void bc_bf16_conv_weight_grad(const bc_conv_shape *s, const uint16_t *xs, int n, const uint16_t *dp, float *dwp);
#endif
