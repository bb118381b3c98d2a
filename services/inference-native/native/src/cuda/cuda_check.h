// Error handling of the CUDA backend: every CUDA runtime and cuBLAS call goes through check(),
// which throws cuda::Error carrying the status the C ABI reports (a failed device allocation is
// MOCO_ERR_OUT_OF_MEMORY, anything else MOCO_ERR_INTERNAL); the entry points of the backend
// (backend.h) turn it back into a status and a message with run(); code between it and the C ABI
// that cannot return a status (the trainer's engine) lets it reach moco::guard, which does the same
// for every StatusError.
#pragma once

#include "common.h"
#include "moco.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace moco::cuda {

class Error : public StatusError {
public:
    using StatusError::StatusError;
};

// Throws Error when `err` is not cudaSuccess; `what` names the call and its purpose.
void check(cudaError_t err, const char* what);
void check(cublasStatus_t status, const char* what);

// Checks that the kernels launched so far were launched (bad configuration, no kernel image for
// this GPU's architecture): launches report errors asynchronously otherwise.
void check_launch(const char* kernel);

// Makes `device` current for the calling thread (the C ABI may be called from any thread).
void use_device(int device);

// Runs body (returning moco_status) and converts an escaping Error into its status, the message
// prefixed with `fn`. Other exceptions pass on to moco::guard.
moco_status report(const char* fn, const Error& e);
template <class Body>
moco_status run(const char* fn, Body&& body) {
    try {
        return body();
    } catch (const Error& e) {
        return report(fn, e);
    }
}

}  // namespace moco::cuda
