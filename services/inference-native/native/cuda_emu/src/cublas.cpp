// cuBLAS on the emulator (cublas_v2.h): cublasGemmEx in column-major order with F32 accumulation.
// Each output is a dot product summed in k order; cuBLAS' order is its own, which is why the CUDA
// tests compare GEMM results within a tolerance.
#include <cublas_v2.h>

#include "cuda_bf16.h"
#include "cuda_emu/launch.h"
#include "cuda_fp16.h"
#include "handles.h"
#include "memory.h"

#include <cstdint>
#include <vector>

struct cublasContext {
    cudaStream_t stream;
};

namespace {

cudaemu::detail::Handles<cublasContext> handles;

bool valid(cublasHandle_t h) {
    return handles.live(h);
}

bool supported(cudaDataType_t t) {
    return t == CUDA_R_32F || t == CUDA_R_16F || t == CUDA_R_16BF;
}

size_t element_bytes(cudaDataType_t t) {
    return t == CUDA_R_32F ? 4 : 2;
}

float load(const void* data, cudaDataType_t t, int64_t i) {
    switch (t) {
        case CUDA_R_16BF: return static_cast<float>(static_cast<const __nv_bfloat16*>(data)[i]);
        case CUDA_R_16F: return static_cast<float>(static_cast<const __half*>(data)[i]);
        default: return static_cast<const float*>(data)[i];
    }
}

void store(void* data, cudaDataType_t t, int64_t i, float v) {
    switch (t) {
        case CUDA_R_16BF: static_cast<__nv_bfloat16*>(data)[i] = __nv_bfloat16(v); break;
        case CUDA_R_16F: static_cast<__half*>(data)[i] = __half(v); break;
        default: static_cast<float*>(data)[i] = v; break;
    }
}

// Whether the column-major matrix [rows, cols] with leading dimension ld lies in one device block.
bool matrix_in_device(const void* p, cudaDataType_t t, int rows, int cols, int ld) {
    if (rows == 0 || cols == 0) return true;
    const size_t last = (static_cast<size_t>(cols) - 1) * static_cast<size_t>(ld) + static_cast<size_t>(rows);
    return cudaemu::detail::in_device_block(p, last * element_bytes(t));
}


// C = a_scale op(A) op(B) + c_scale C, column-major.
void gemm(bool ta, bool tb, int m, int n, int k, float a_scale, const void* A, cudaDataType_t Atype, int lda,
          const void* B, cudaDataType_t Btype, int ldb, float c_scale, void* C, cudaDataType_t Ctype, int ldc) {
    // op(A) as rows of k and op(B) as columns of k, widened once, so each dot product is contiguous.
    std::vector<float> a(static_cast<size_t>(m) * k), b(static_cast<size_t>(n) * k);
    for (int i = 0; i < m; ++i) {
        for (int p = 0; p < k; ++p) {
            a[static_cast<size_t>(i) * k + p] = load(A, Atype, ta ? p + static_cast<int64_t>(i) * lda : i + static_cast<int64_t>(p) * lda);
        }
    }
    for (int j = 0; j < n; ++j) {
        for (int p = 0; p < k; ++p) {
            b[static_cast<size_t>(j) * k + p] = load(B, Btype, tb ? j + static_cast<int64_t>(p) * ldb : p + static_cast<int64_t>(j) * ldb);
        }
    }
    for (int j = 0; j < n; ++j) {
        for (int i = 0; i < m; ++i) {
            const float* ar = &a[static_cast<size_t>(i) * k];
            const float* bc = &b[static_cast<size_t>(j) * k];
            float sum = 0.0f;
            for (int p = 0; p < k; ++p) sum += ar[p] * bc[p];
            const int64_t at = i + static_cast<int64_t>(j) * ldc;
            // beta = 0 never reads C, which may hold anything (NaN included), as cuBLAS promises.
            const float v = c_scale == 0.0f ? a_scale * sum : a_scale * sum + c_scale * load(C, Ctype, at);
            store(C, Ctype, at, v);
        }
    }
}

}  // namespace

cublasStatus_t cublasCreate(cublasHandle_t* handle) {
    if (handle == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
    *handle = handles.add(new cublasContext{nullptr});
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t handle) {
    return handles.destroy(handle) ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_INITIALIZED;
}

cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
    if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    handle->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetStream(cublasHandle_t handle, cudaStream_t* stream) {
    if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (stream == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
    *stream = handle->stream;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t) {
    return valid(handle) ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_INITIALIZED;
}

cublasStatus_t cublasSetWorkspace(cublasHandle_t handle, void* workspace, size_t bytes) {
    if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    // The emulator needs no scratch; it only checks that the caller's is device memory.
    if (bytes > 0 && !cudaemu::detail::in_device_block(workspace, bytes)) return CUBLAS_STATUS_INVALID_VALUE;
    return CUBLAS_STATUS_SUCCESS;
}

const char* cublasGetStatusName(cublasStatus_t status) {
    switch (status) {
        case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
        case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
        case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
        case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
        case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
        case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
        case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
        case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    }
    return "CUBLAS_STATUS_UNKNOWN";
}

const char* cublasGetStatusString(cublasStatus_t status) {
    switch (status) {
        case CUBLAS_STATUS_SUCCESS: return "success";
        case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
        case CUBLAS_STATUS_ALLOC_FAILED: return "the resource allocation failed";
        case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
        case CUBLAS_STATUS_ARCH_MISMATCH: return "an absent device architectural feature is required";
        case CUBLAS_STATUS_MAPPING_ERROR: return "an access to GPU memory space failed";
        case CUBLAS_STATUS_EXECUTION_FAILED: return "the GPU program failed to execute";
        case CUBLAS_STATUS_INTERNAL_ERROR: return "an internal operation failed";
        case CUBLAS_STATUS_NOT_SUPPORTED: return "the functionality requested is not supported";
    }
    return "unknown error";
}

cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m,
                            int n, int k, const void* alpha, const void* A, cudaDataType_t Atype, int lda,
                            const void* B, cudaDataType_t Btype, int ldb, const void* beta, void* C,
                            cudaDataType_t Ctype, int ldc, cublasComputeType_t computeType, cublasGemmAlgo_t) {
    if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (m < 0 || n < 0 || k < 0 || alpha == nullptr || beta == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
    if (transa == CUBLAS_OP_C || transb == CUBLAS_OP_C) return CUBLAS_STATUS_NOT_SUPPORTED;
    if (!supported(Atype) || !supported(Btype) || !supported(Ctype) || computeType == CUBLAS_COMPUTE_16F) {
        return CUBLAS_STATUS_NOT_SUPPORTED;
    }
    const bool ta = transa == CUBLAS_OP_T, tb = transb == CUBLAS_OP_T;
    const int a_rows = ta ? k : m, a_cols = ta ? m : k;
    const int b_rows = tb ? n : k, b_cols = tb ? k : n;
    if (lda < (a_rows > 1 ? a_rows : 1) || ldb < (b_rows > 1 ? b_rows : 1) || ldc < (m > 1 ? m : 1)) {
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
    // Operands outside device memory are what a GPU reports as an illegal address.
    if ((k > 0 && (!matrix_in_device(A, Atype, a_rows, a_cols, lda) || !matrix_in_device(B, Btype, b_rows, b_cols, ldb))) ||
        !matrix_in_device(C, Ctype, m, n, ldc)) {
        return CUBLAS_STATUS_EXECUTION_FAILED;
    }
    const float a_scale = *static_cast<const float*>(alpha);
    const float c_scale = *static_cast<const float*>(beta);
    auto run = [=] { gemm(ta, tb, m, n, k, a_scale, A, Atype, lda, B, Btype, ldb, c_scale, C, Ctype, ldc); };
    if (cudaemu::detail::capturing(handle->stream)) {
        cudaemu::detail::record(handle->stream, run);  // alpha and beta are host scalars: read now, as cuBLAS does
    } else {
        run();
    }
    return CUBLAS_STATUS_SUCCESS;
}
