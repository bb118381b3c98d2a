// The backward of the training pass's per-head q/k step (the forward is cuda::qkv_finish without a
// cache). Lane l of a warp owns the RoPE pairs (i, i + half) for i = l, l + 32, ...: the rotation
// mixes only the two elements of a pair, so its transpose and the norm's backward need no shared
// memory, only the warp's sums.
#include "cuda/device_math.cuh"
#include "cuda/train/pass_kernels.h"

namespace moco::cuda::train {
namespace {

// 1 / sqrt(mean(x^2) + eps) of one head, summed as cuda::qkv_finish sums it (lane l: elements l,
// l + 32, ...; then warp_sum), so the backward recomputes the forward's value bit for bit.
__device__ float head_inv_rms(const float* x, int head_dim, float eps, int lane) {
    float sum = 0.0f;
    for (int d = lane; d < head_dim; d += 32) {
        sum += x[d] * x[d];
    }
    return 1.0f / sqrtf(warp_sum(sum) / static_cast<float>(head_dim) + eps);
}

// One warp per row, walking its q then k heads in order: the norm weights' gradient of a row is
// the sum over its heads, and one warp adding them in head order (as the CPU pass) keeps the sum
// independent of the launch without atomics. Per head: RoPE's transpose (rotation by -angle),
// then the rmsnorm backward from the pre-norm values, dx = r (w dy) - x r^3 / n sum(w dy x).
__global__ void qk_backward_kernel(float* dqkv, const float* qkv_raw, int heads, int kv_heads, int head_dim,
                                   const float* q_norm, const float* k_norm, float eps, const float* cos,
                                   const float* sin, float* dw_rows) {
    const int r = blockIdx.x;
    const int lane = threadIdx.x;
    const int half = head_dim / 2;
    const int64_t row = static_cast<int64_t>(r) * (heads + 2 * kv_heads) * head_dim;
    const float* cos_r = cos + static_cast<int64_t>(r) * half;
    const float* sin_r = sin + static_cast<int64_t>(r) * half;
    for (int h = 0; h < heads + kv_heads; ++h) {
        const bool is_q = h < heads;
        float* d = dqkv + row + static_cast<int64_t>(h) * head_dim;  // k heads follow the q heads
        const float* norm = is_q ? q_norm : k_norm;
        const float* x = norm != nullptr ? qkv_raw + row + static_cast<int64_t>(h) * head_dim : nullptr;
        float dot = 0.0f;  // this lane's part of sum(w dy x)
        for (int i = lane; i < half; i += 32) {
            const float a = d[i];
            const float b = d[i + half];
            const float ga = a * cos_r[i] + b * sin_r[i];
            const float gb = b * cos_r[i] - a * sin_r[i];
            d[i] = ga;
            d[i + half] = gb;
            if (norm != nullptr) {
                dot += norm[i] * ga * x[i] + norm[i + half] * gb * x[i + half];
            }
        }
        if (norm == nullptr) {
            continue;
        }
        const float inv_rms = head_inv_rms(x, head_dim, eps, lane);
        const float coef = warp_sum(dot) * inv_rms * inv_rms * inv_rms / static_cast<float>(head_dim);
        float* dw = dw_rows != nullptr ? dw_rows + static_cast<int64_t>(r) * 2 * head_dim + (is_q ? 0 : head_dim)
                                       : nullptr;
        const bool first_of_kind = h == 0 || h == heads;  // the row's sum starts here (written, not added)
        for (int i = lane; i < half; i += 32) {
            for (int e = i; e < head_dim; e += half) {
                const float g = d[e];
                if (dw != nullptr) {
                    dw[e] = (first_of_kind ? 0.0f : dw[e]) + g * x[e] * inv_rms;
                }
                d[e] = inv_rms * (norm[e] * g) - x[e] * coef;
            }
        }
    }
}

}  // namespace

void qk_backward(float* dqkv, const float* qkv_raw, int rows, int heads, int kv_heads, int head_dim,
                 const float* q_norm, const float* k_norm, float eps, const float* cos, const float* sin,
                 float* dw_rows, cudaStream_t stream) {
    if (rows > 0) {
        qk_backward_kernel<<<rows, 32, 0, stream>>>(dqkv, qkv_raw, heads, kv_heads, head_dim, q_norm, k_norm, eps,
                                                    cos, sin, dw_rows);
    }
}

}  // namespace moco::cuda::train
