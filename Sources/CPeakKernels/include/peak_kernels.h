#ifndef BC_PEAK_KERNELS_H
#define BC_PEAK_KERNELS_H
// FMA loops that measure the CPU's FP32 ceiling (`Bench peak`): every "% of peak" figure is taken
// against what these reach in the same run, not against a data-sheet number.

// Instruction paths, chosen at run time. BC_PEAK_BF16 (AVX-512 BF16 `vdpbf16ps`: bfloat16 pairs
// multiplied and summed into FP32) is the mixed-precision ceiling, reported apart from the FP32 one.
enum { BC_PEAK_PORTABLE = 0, BC_PEAK_AVX2 = 1, BC_PEAK_AVX512 = 2, BC_PEAK_BF16 = 3 };

// 1 when this CPU (and OS) runs `path`; the portable path always runs.
int bc_peak_path_available(int path);

// Runs `iterations` rounds of independent multiply-adds on `path` and returns their result (so the
// work cannot be dropped); *flops receives the operations done (a multiply-add counts 2; on the
// BF16 path a vdpbf16ps lane does two).
float bc_peak_run(int path, long iterations, double *flops);
#endif
