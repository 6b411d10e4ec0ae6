#ifndef CBLAS_SHIM_H
#define CBLAS_SHIM_H
// Debian's libopenblas-dev puts cblas.h under an alternatives directory that pkg-config names.
#include <cblas.h>

// OpenBLAS's thread-count controls, declared here so Swift sees one spelling on every distro.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

static inline void cblas_shim_set_threads(int n) { openblas_set_num_threads(n); }
static inline int cblas_shim_get_threads(void) { return openblas_get_num_threads(); }
#endif
