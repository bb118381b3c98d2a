// The optimiser step over flat F32 device buffers: the device twins of train/optimizer.h (scaling,
// the global gradient norm, AdamW as torch.optim.AdamW computes it). Device pointers; launches only
// enqueue work on `stream`.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace moco::cuda::train {

// g[i] *= s for i < n.
void scale(float* g, size_t n, float s, cudaStream_t stream);

// The global norm in two halves so that it is deterministic: square_sums writes the sum of g[i]^2
// (in double) over each of norm_chunks(n) fixed chunks of the buffer to partial[chunk]; the caller
// copies them back and adds them in chunk order (a NaN or Inf gradient makes the sum non-finite).
size_t norm_chunks(size_t n);
void square_sums(const float* g, size_t n, double* partial, cudaStream_t stream);

struct AdamWStep {
    float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;
    double lr = 0.0;
    int64_t t = 1;          // this step's number, from 1 (the bias corrections' exponent)
};

// torch.optim.AdamW (1.13, single-tensor) on [0, n): p *= 1 - lr wd (only when decay);
// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
// The caller launches it once per run of elements with the same decay flag.
void adamw(float* param, const float* grad, float* m, float* v, size_t n, const AdamWStep& step, bool decay,
           cudaStream_t stream);

}  // namespace moco::cuda::train
