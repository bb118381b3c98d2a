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

}  // namespace moco::cuda
