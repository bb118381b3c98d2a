#include "cuda/cuda_check.h"

#include "common.h"

#include <cstdio>

namespace moco::cuda {

void check(cudaError_t err, const char* what) {
    if (err == cudaSuccess) {
        return;
    }
    // An allocation failure is not sticky: clear it so that the context stays usable.
    (void)cudaGetLastError();
    if (err == cudaErrorMemoryAllocation) {
        size_t free_bytes = 0, total_bytes = 0;
        (void)cudaMemGetInfo(&free_bytes, &total_bytes);
        char message[512];
        std::snprintf(message, sizeof(message),
                      "%s: out of device memory (%zu MiB free of %zu MiB); load fewer or smaller "
                      "models, create the KV cache with a smaller memory_bytes, or train with LoRA or "
                      "shorter micro-batches",
                      what, free_bytes >> 20, total_bytes >> 20);
        throw Error(MOCO_ERR_OUT_OF_MEMORY, message);
    }
    throw Error(MOCO_ERR_INTERNAL, std::string(what) + ": CUDA error " + cudaGetErrorName(err) + " (" +
                                       cudaGetErrorString(err) + ")");
}

void check(cublasStatus_t status, const char* what) {
    if (status == CUBLAS_STATUS_SUCCESS) {
        return;
    }
    if (status == CUBLAS_STATUS_ALLOC_FAILED) {
        throw Error(MOCO_ERR_OUT_OF_MEMORY,
                    std::string(what) + ": cuBLAS could not allocate device memory; free models or "
                                        "KV caches on this device");
    }
    throw Error(MOCO_ERR_INTERNAL, std::string(what) + ": cuBLAS error " + cublasGetStatusName(status) + " (" +
                                       cublasGetStatusString(status) + ")");
}

void check_launch(const char* kernel) {
    check(cudaPeekAtLastError(), kernel);
}

void use_device(int device) {
    check(cudaSetDevice(device), "cudaSetDevice");
}

moco_status report(const char* fn, const Error& e) {
    return set_error(e.status(), "%s: %s", fn, e.what());
}

}  // namespace moco::cuda
