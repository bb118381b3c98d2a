// The training pass's per-head q/k step and its backward. Lane l of a warp owns the RoPE pairs
// (i, i + half) for i = l, l + 32, ...: the rotation mixes only the two elements of a pair, so
// the norm, the rotation and their transposes need no shared memory, only the warp's sums.
#include "cuda/device_math.cuh"
#include "cuda/train/pass_kernels.h"

namespace moco::cuda::train {
namespace {

// 1 / sqrt(mean(x^2) + eps) of one head. The forward and the backward both call this, so the
// backward recomputes the forward's value bit for bit.
__device__ float head_inv_rms(const float* x, int head_dim, float eps, int lane) {
    const int half = head_dim / 2;
    float sum = 0.0f;
    for (int i = lane; i < half; i += 32) {
        sum += x[i] * x[i] + x[i + half] * x[i + half];
    }
    return 1.0f / sqrtf(warp_sum(sum) / static_cast<float>(head_dim) + eps);
}

// One warp per (row, head); blockIdx.y < heads is a q head, the rest are k heads. v is untouched.
__global__ void qk_forward_kernel(float* qkv, int heads, int kv_heads, int head_dim, const float* q_norm,
                                  const float* k_norm, float eps, const float* cos, const float* sin) {
    const int r = blockIdx.x;
    const int h = blockIdx.y;
    const int lane = threadIdx.x;
    const int half = head_dim / 2;
    const bool is_q = h < heads;
    const int col = is_q ? h * head_dim : heads * head_dim + (h - heads) * head_dim;
    float* x = qkv + static_cast<int64_t>(r) * (heads + 2 * kv_heads) * head_dim + col;
    const float* norm = is_q ? q_norm : k_norm;
    const float inv_rms = norm != nullptr ? head_inv_rms(x, head_dim, eps, lane) : 0.0f;
    const float* cos_r = cos + static_cast<int64_t>(r) * half;
    const float* sin_r = sin + static_cast<int64_t>(r) * half;
    for (int i = lane; i < half; i += 32) {
        float a = x[i];
        float b = x[i + half];
        if (norm != nullptr) {
            a = norm[i] * (a * inv_rms);
            b = norm[i + half] * (b * inv_rms);
        }
        x[i] = a * cos_r[i] + (-b) * sin_r[i];  // cpu::rope_apply
        x[i + half] = b * cos_r[i] + a * sin_r[i];
    }
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

void qk_forward(float* qkv, int rows, int heads, int kv_heads, int head_dim, const float* q_norm,
                const float* k_norm, float eps, const float* cos, const float* sin, cudaStream_t stream) {
    if (rows > 0) {
        const dim3 grid(static_cast<unsigned>(rows), static_cast<unsigned>(heads + kv_heads));
        qk_forward_kernel<<<grid, 32, 0, stream>>>(qkv, heads, kv_heads, head_dim, q_norm, k_norm, eps, cos, sin);
    }
}

void qk_backward(float* dqkv, const float* qkv_raw, int rows, int heads, int kv_heads, int head_dim,
                 const float* q_norm, const float* k_norm, float eps, const float* cos, const float* sin,
                 float* dw_rows, cudaStream_t stream) {
    if (rows > 0) {
        qk_backward_kernel<<<rows, 32, 0, stream>>>(dqkv, qkv_raw, heads, kv_heads, head_dim, q_norm, k_norm, eps,
                                                    cos, sin, dw_rows);
    }
}

}  // namespace moco::cuda::train
