#ifndef BC_PEAK_KERNELS_H
#define BC_PEAK_KERNELS_H
// FMA loops that measure the CPU's FP32 ceiling (`Bench peak`): every "% of peak" figure is taken
// against what these reach in the same run, not against a data-sheet number.

// Instruction paths, chosen at run time.
enum { BC_PEAK_PORTABLE = 0, BC_PEAK_AVX2 = 1, BC_PEAK_AVX512 = 2 };

// 1 when this CPU (and OS) runs `path`; the portable path always runs.
int bc_peak_path_available(int path);

// Runs `iterations` rounds of independent multiply-adds on `path` and returns their result (so the
// work cannot be dropped); *flops receives the FP32 operations done (a fused multiply-add counts 2).
float bc_peak_run(int path, long iterations, double *flops);
#endif
