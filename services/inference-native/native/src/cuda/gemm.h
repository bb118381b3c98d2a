// The projections of the forward as cuBLAS GEMMs: F32, BF16 or F16 operands (the weight's dtype),
// F32 accumulation and output (CUBLAS_COMPUTE_32F: no TF32 shortcut, so F32 models keep F32
// products).
#pragma once

#include "cuda/device_weights.h"

#include <cublas_v2.h>

namespace moco::cuda {

// out[r, 0..w.n) = alpha * in[r, 0..w.k) . w[0..w.n, 0..w.k)^T + beta * out[r, 0..w.n), r < rows.
// `in` holds rows of w.k elements of w.dtype, ld_in apart; `out` rows are ld_out floats apart.
// beta = 1 adds the product to what out holds (the residual stream).
void gemm(cublasHandle_t blas, const DeviceMatrix& w, const void* in, int rows, int ld_in, float* out,
          int ld_out, float alpha, float beta);

}  // namespace moco::cuda
