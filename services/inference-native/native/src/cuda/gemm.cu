#include "cuda/gemm.h"

#include "cuda/cuda_check.h"

namespace moco::cuda {
namespace {

cudaDataType_t cuda_type(DType dtype) {
    switch (dtype) {
        case DType::BF16: return CUDA_R_16BF;
        case DType::F16: return CUDA_R_16F;
        default: return CUDA_R_32F;
    }
}

}  // namespace

void gemm(cublasHandle_t blas, const DeviceMatrix& w, const void* in, int rows, int ld_in, float* out,
          int ld_out, float alpha, float beta) {
    if (rows <= 0) {
        return;
    }
    // cuBLAS is column-major: the row-major out[rows, n] is the column-major out^T[n, rows] =
    // W[n, k] . in^T[k, rows], where the row-major W is a column-major [k, n] (hence OP_T) and the
    // row-major `in` a column-major [k, rows].
    const cudaDataType_t type = cuda_type(w.dtype);
    check(cublasGemmEx(blas, CUBLAS_OP_T, CUBLAS_OP_N, w.n, rows, w.k, &alpha, w.data, type, w.k, in, type,
                       ld_in, &beta, out, CUDA_R_32F, ld_out, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
          "cublasGemmEx");
}

void gemm_input_grad(cublasHandle_t blas, const DeviceMatrix& w, const void* dy, int rows, int ld_dy, float* dx,
                     int ld_dx, float alpha, float beta) {
    if (rows <= 0) {
        return;
    }
    // Column-major: dx^T[k, rows] = W^T[k, n] . dy^T[n, rows]; the row-major W [n, k] already is the
    // column-major W^T [k, n].
    const cudaDataType_t type = cuda_type(w.dtype);
    check(cublasGemmEx(blas, CUBLAS_OP_N, CUBLAS_OP_N, w.k, rows, w.n, &alpha, w.data, type, w.k, dy, type, ld_dy,
                       &beta, dx, CUDA_R_32F, ld_dx, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
          "cublasGemmEx (input gradient)");
}

void gemm_weight_grad(cublasHandle_t blas, const float* dy, int ld_dy, const float* x, int ld_x, int rows, int n,
                      int k, float alpha, float* grad) {
    if (rows <= 0) {
        return;
    }
    // Column-major: grad^T[k, n] += x^T[k, rows] . dy[rows, n].
    const float beta = 1.0f;
    check(cublasGemmEx(blas, CUBLAS_OP_N, CUBLAS_OP_T, k, n, rows, &alpha, x, CUDA_R_32F, ld_x, dy, CUDA_R_32F,
                       ld_dy, &beta, grad, CUDA_R_32F, k, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
          "cublasGemmEx (weight gradient)");
}

}  // namespace moco::cuda
