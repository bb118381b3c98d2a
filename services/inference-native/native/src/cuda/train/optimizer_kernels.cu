// The optimiser step's kernels (optimizer_kernels.h): elementwise grid-stride loops for scaling and
// AdamW with the CPU's float formulas (train/optimizer.cpp), and the squared-gradient sums of the
// global norm as one block per fixed chunk, so the norm does not depend on the launch.
#include "cuda/device_math.cuh"
#include "cuda/train/optimizer_kernels.h"
#include "train/optimizer.h"

namespace moco::cuda::train {
namespace {

constexpr int kThreads = 256;

// Elements of one square_sums block: 64 per thread, enough to amortise the block reduction, and few
// enough that a LoRA-sized buffer (millions of elements) still fills every SM.
constexpr size_t kNormChunk = size_t{1} << 14;

__global__ void scale_kernel(float* g, size_t n, float s) {
    for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
         i += static_cast<size_t>(gridDim.x) * blockDim.x) {
        g[i] *= s;
    }
}

// partial[chunk] = sum of g^2 over the chunk, in double; a NaN or Inf propagates into it.
__global__ void square_sums_kernel(const float* g, size_t n, double* partial) {
    const size_t begin = static_cast<size_t>(blockIdx.x) * kNormChunk;
    const size_t end = n < begin + kNormChunk ? n : begin + kNormChunk;
    double sum = 0.0;
    for (size_t i = begin + threadIdx.x; i < end; i += kThreads) {
        const double x = g[i];
        sum += x * x;
    }
    sum = block_sum(sum);
    if (threadIdx.x == 0) partial[blockIdx.x] = sum;
}

// One element of AdamW in the CPU's operation order (train/optimizer.cpp AdamW::step); the
// step-wide factors come from the host in the same precision as there.
__global__ void adamw_kernel(float* param, const float* grad, float* m, float* v, size_t n, float b1, float b2,
                             float eps, float step_size, float bc2_sqrt, float decay, bool apply_decay) {
    for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
         i += static_cast<size_t>(gridDim.x) * blockDim.x) {
        const float g = grad[i];
        const float mi = m[i] * b1 + g * (1.0f - b1);
        const float vi = v[i] * b2 + g * g * (1.0f - b2);
        m[i] = mi;
        v[i] = vi;
        float p = param[i];
        if (apply_decay) p *= decay;
        param[i] = p - step_size * (mi / (sqrtf(vi) / bc2_sqrt + eps));
    }
}

}  // namespace

void scale(float* g, size_t n, float s, cudaStream_t stream) {
    if (n > 0) {
        const int blocks = grid_stride_blocks(static_cast<int64_t>(n), kThreads);
        scale_kernel<<<blocks, kThreads, 0, stream>>>(g, n, s);
    }
}

size_t norm_chunks(size_t n) {
    return (n + kNormChunk - 1) / kNormChunk;
}

void square_sums(const float* g, size_t n, double* partial, cudaStream_t stream) {
    if (n == 0) return;
    const unsigned chunks = static_cast<unsigned>(norm_chunks(n));
    square_sums_kernel<<<chunks, kThreads, 0, stream>>>(g, n, partial);
}

void adamw(float* param, const float* grad, float* m, float* v, size_t n, const AdamWStep& step, bool decay,
           cudaStream_t stream) {
    if (n == 0) return;
    const moco::train::AdamWFactors f =
        moco::train::adamw_factors(step.beta1, step.beta2, step.weight_decay, step.lr, step.t);
    // Like the CPU: no multiply at all without weight decay.
    const bool apply_decay = decay && step.weight_decay != 0.0f;
    const int blocks = grid_stride_blocks(static_cast<int64_t>(n), kThreads);
    adamw_kernel<<<blocks, kThreads, 0, stream>>>(param, grad, m, v, n, step.beta1, step.beta2, step.eps, f.step_size,
                                                   f.bc2_sqrt, f.decay, apply_decay);
}

}  // namespace moco::cuda::train
