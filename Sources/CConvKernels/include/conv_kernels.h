#ifndef BC_CONV_KERNELS_H
#define BC_CONV_KERNELS_H
#include "bf16_gemm.h"  // the BF16 GEMM of mixed-precision training, exported with this module
#include "helper_team.h"  // helper threads that split a batch-1 forward by channel tile or row
// Direct NHWC convolution kernels (AVX2 + FMA) for windows that lie inside the image (valid
// padding): forward, weight gradient and input gradient, with no im2col buffer. TensorCore wraps
// them; its im2col + GEMM path is the portable fallback and the reference the tests hold them to.
//
// Shapes: x (n, h, w, c); kernel HWIO flattened to (K = kh * kw * c, oc); y and d (n, oh, ow, oc).
// Weights and deltas are passed packed with the channel axis padded to ocp = roundup(oc, 8) with
// zeros, so every vector load is whole; `run` = kw * c scalars of one kernel row are contiguous in x.

typedef struct {
  int h, w, c;    // input image
  int kh, kw;     // kernel
  int sy, sx;     // stride
  int oh, ow;     // output (all windows inside the image)
  int oc, ocp;    // output channels, and that rounded up to a multiple of 8
} bc_conv_shape;

// The activation fused into forward and the activation delta (TensorCore's `Activation`).
typedef enum { BC_ACTIVATION_LINEAR = 0, BC_ACTIVATION_RELU = 1, BC_ACTIVATION_ELU = 2 } bc_activation;

// What a kernel that allocates returns: its caller reports BC_CONV_OUT_OF_MEMORY instead of going on
// with an output the kernel never wrote.
typedef enum { BC_CONV_OK = 0, BC_CONV_OUT_OF_MEMORY = 1 } bc_conv_status;

// 1 when this CPU runs the AVX2 + FMA kernels; 0 elsewhere (callers then use im2col + GEMM).
int bc_conv_kernels_available(void);

// y (n, oh, ow, oc) = act(conv(x, wp) + bias); wp: from bc_pack_kernel_tiles; bias (ocp) zero-padded.
bc_conv_status bc_conv_forward(const bc_conv_shape *s, const float *x, int n, const float *wp,
                               const float *bias, bc_activation act, float *y);

// The channel tiles forward walks: oc = 24 is one tile, 64 four (tiles of 8, 16 or 24 channels).
int bc_conv_channel_tiles(int ocp);

// One image (n = 1): packs tiles first_tile..<first_tile + tiles of kernel (K, oc) and bias (oc)
// into wp (laid out as bc_pack_kernel_tiles, then the bias), then computes those channels of y as
// bc_conv_forward does, the same bits. Calls for disjoint tiles write disjoint parts of wp and y, so
// threads can split a layer by channels, each reading only the weights it packed itself.
bc_conv_status bc_conv_forward_tiles(const bc_conv_shape *s, const float *x, const float *kernel,
                                     const float *bias, bc_activation act, int first_tile, int tiles,
                                     float *wp, float *y);

// d (rows, ocp) = dy * act'(y) with zeroed padding columns, and bias_grad (ocp) += its column sums;
// dy and y: (rows, oc).
void bc_activation_delta(const float *dy, const float *y, int rows, int oc, int ocp, bc_activation act,
                         float *d, float *bias_grad);

// dwp (K, ocp) += sum over the n images' output pixels of patch(x) (x) d; d: (n * oh * ow, ocp).
void bc_conv_weight_grad(const bc_conv_shape *s, const float *x, int n, const float *d, float *dwp);

// dx (n, h, w, c) = the adjoint of forward applied to d (n * oh * ow, ocp); overwrites dx.
// wt: from bc_pack_transposed_kernel, kh * oc * runp scalars with runp = roundup(kw * c, 8).
bc_conv_status bc_conv_input_grad(const bc_conv_shape *s, const float *d, int n, const float *wt, float *dx);

// Test hook: the calling thread's next `count` allocations in these kernels fail, so tests can reach
// the BC_CONV_OUT_OF_MEMORY path without exhausting memory. Other threads are unaffected.
void bc_conv_fail_allocations_for_testing(int count);

// Packing (plain C; small). Kernels are packed tile-major so a micro-kernel streams its weights
// contiguously: kernel (K, oc) -> K * ocp scalars, one (K, 8V) block per channel tile.
void bc_pack_kernel_tiles(const float *kernel, int k, int oc, int ocp, float *out);
// kernel (kh, run = kw * c, oc) -> kh * oc * runp scalars, one (kh, oc, 8V) block per run tile,
// zero beyond run: block[ky][o][j] = kernel[ky][j0 + j][o].
void bc_pack_transposed_kernel(const float *kernel, int kh, int run, int oc, int runp, float *wt);
void bc_pack_rows(const float *src, int rows, int cols, int ldp, float *dst);
#endif
