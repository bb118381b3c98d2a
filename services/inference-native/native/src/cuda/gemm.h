// The Linear layers as cuBLAS GEMMs - the forward's projection and, for training, the backward's
// input and weight gradients: F32, BF16 or F16 operands (the weight's dtype), F32 accumulation and
// output (CUBLAS_COMPUTE_32F: no TF32 shortcut, so F32 models keep F32 products).
#pragma once

#include "cuda/device_weights.h"

#include <cublas_v2.h>

namespace moco::cuda {

// out[r, 0..w.n) = alpha * in[r, 0..w.k) . w[0..w.n, 0..w.k)^T + beta * out[r, 0..w.n), r < rows.
// `in` holds rows of w.k elements of w.dtype, ld_in apart; `out` rows are ld_out floats apart.
// beta = 1 adds the product to what out holds (the residual stream).
void gemm(cublasHandle_t blas, const DeviceMatrix& w, const void* in, int rows, int ld_in, float* out,
          int ld_out, float alpha, float beta);

// The input gradient of y = x w^T: dx[r, 0..w.k) = alpha * dy[r, 0..w.n) . w + beta * dx[r], r < rows.
// dy holds rows of w.n elements of w.dtype, ld_dy apart; dx rows are ld_dx floats apart.
void gemm_input_grad(cublasHandle_t blas, const DeviceMatrix& w, const void* dy, int rows, int ld_dy, float* dx,
                     int ld_dx, float alpha, float beta);

// The weight gradient of y = x w^T, added: grad[n, k] += alpha * dy^T x over rows r < rows, all F32
// (the gradients of the F32 masters); dy rows ld_dy apart, x rows ld_x apart, grad rows k apart.
void gemm_weight_grad(cublasHandle_t blas, const float* dy, int ld_dy, const float* x, int ld_x, int rows, int n,
                      int k, float alpha, float* grad);

}  // namespace moco::cuda
