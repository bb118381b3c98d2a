// The logit kernels of kernels/logits.h (methods-logit-weight.md §1.1) on rows in device memory,
// for a decode loop that keeps the logits on the GPU. The C ABI's moco_log_softmax /
// moco_logits_* take host arrays and stay on the CPU; these are the device twins, checked against
// them by tests/cuda/test_cuda_logits.cpp. Preconditions are the C ABI's after its validation:
// rows finite or -inf with at least one finite entry (contrast: all finite); these kernels do not
// re-check them. Reductions run per row in a fixed block order (deterministic run to run), which is
// not the CPU's lane order: results agree with the CPU within float rounding, not bit for bit.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace moco::cuda {

// L1: out = z - m - ln Σ exp(z - m) per row (out may be z).
void log_softmax_rows(const float* z, int rows, int vocab, float* out, cudaStream_t stream);

// L2: out = Σ_{w_i != 0} w_i z_i (weights == nullptr: the mean). inputs: n device row pointers
// (a device array of n pointers), row r of input i at inputs[i] + r * strides[i] (strides == nullptr:
// vocab); weights: n floats in device memory or nullptr.
void fuse_rows(const float* const* inputs, const int* strides, const float* weights, int n, int rows, int vocab,
               float* out, cudaStream_t stream);

// L3: out = lambda * Σ_j (top_j - bot_j) + top_1; inputs: 2k device row pointers, top then bottom.
void contrast_rows(const float* const* inputs, const int* strides, int k, float lambda, int rows, int vocab,
                   float* out, cudaStream_t stream);

// Entropy (nats) of softmax(z), per row.
void entropy_rows(const float* z, int rows, int vocab, float* out, cudaStream_t stream);

// The k largest values of each row, descending, equal values lowest index first (k <= vocab).
void top_k_rows(const float* values, int rows, int vocab, int k, int32_t* ids, float* top_values,
                cudaStream_t stream);

}  // namespace moco::cuda
