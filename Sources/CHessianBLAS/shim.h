// The BLAS and LAPACK entry points HessianKit uses on Linux: OpenBLAS's CBLAS
// interface and the reference LAPACKE C interface (Debian: libopenblas-dev,
// liblapacke-dev). On Apple platforms TensorCore uses Accelerate instead.
#include <cblas.h>
#include <lapacke.h>
