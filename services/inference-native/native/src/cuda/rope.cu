#include "cuda/device_math.cuh"
#include "cuda/kernels.h"

namespace moco::cuda {
namespace {

// The angle pos * inv_freq in F32 (as HF), its cos and sin in double (as the CPU backend): both
// backends then rotate with the same table values.
__global__ void rope_table_kernel(const int32_t* pos, int rows, const float* inv_freq, int half, float* cos_out,
                                  float* sin_out) {
    const int64_t n = static_cast<int64_t>(rows) * half;
    for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < n;
         idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const float p = static_cast<float>(pos[idx / half]);
        const double angle = static_cast<double>(p * inv_freq[idx % half]);
        cos_out[idx] = static_cast<float>(cos(angle));
        sin_out[idx] = static_cast<float>(sin(angle));
    }
}

// One warp per (row, head); blockIdx.y < heads is a q head, the rest are kv heads (which also move
// their v head into the cache, when there is one). The head is staged in shared memory for the norm
// and the rotation.
__global__ void qkv_finish_kernel(QkvArgs a) {
    __shared__ float s[kMaxHeadDim];
    const int r = blockIdx.x;
    const int h = blockIdx.y;
    const int lane = threadIdx.x;
    const int hd = a.head_dim;
    const int half = hd / 2;
    const int q_dim = a.heads * hd;
    const int kv_dim = a.kv_heads * hd;
    const bool is_q = h < a.heads;
    const int col = is_q ? h * hd : q_dim + (h - a.heads) * hd;
    float* src = a.qkv + static_cast<int64_t>(r) * (q_dim + 2 * kv_dim) + col;

    float sum = 0.0f;
    for (int d = lane; d < hd; d += 32) {
        const float v = src[d] + (a.bias != nullptr ? a.bias[col + d] : 0.0f);
        s[d] = v;
        sum += v * v;
    }
    const float* norm = is_q ? a.q_norm : a.k_norm;
    if (norm != nullptr) {
        const float inv_rms = 1.0f / sqrtf(warp_sum(sum) / static_cast<float>(hd) + a.eps);
        for (int d = lane; d < hd; d += 32) {
            s[d] = norm[d] * (s[d] * inv_rms);
        }
    }
    __syncwarp();

    // HF's rotate_half: element i pairs with i + half.
    const float* cos_r = a.cos + static_cast<int64_t>(r) * half;
    const float* sin_r = a.sin + static_cast<int64_t>(r) * half;
    float* dst = src;
    if (!is_q && a.kv_blocks != nullptr) {
        const int kv_head = h - a.heads;
        const int pos = a.pos[r];
        float* block = a.kv_blocks + static_cast<int64_t>(a.kv_block[r]) * a.floats_per_block;
        const int64_t slot = static_cast<int64_t>(pos % a.block_tokens) * hd;
        const int64_t per_head = static_cast<int64_t>(a.block_tokens) * hd;
        dst = block + ((static_cast<int64_t>(a.layer) * 2 + 0) * a.kv_heads + kv_head) * per_head + slot;
        float* v_dst = block + ((static_cast<int64_t>(a.layer) * 2 + 1) * a.kv_heads + kv_head) * per_head + slot;
        const float* v_src = src + kv_dim;
        for (int d = lane; d < hd; d += 32) {
            v_dst[d] = v_src[d] + (a.bias != nullptr ? a.bias[col + kv_dim + d] : 0.0f);
        }
    } else if (!is_q && a.bias != nullptr) {
        float* v = src + kv_dim;  // no cache: v stays in qkv
        for (int d = lane; d < hd; d += 32) {
            v[d] += a.bias[col + kv_dim + d];
        }
    }
    for (int i = lane; i < half; i += 32) {
        const float x = s[i];
        const float y = s[i + half];
        dst[i] = x * cos_r[i] + (-y) * sin_r[i];
        dst[i + half] = y * cos_r[i] + x * sin_r[i];
    }
}

}  // namespace

void rope_tables(const int32_t* pos, int rows, const float* inv_freq, int half, float* cos, float* sin,
                 cudaStream_t stream) {
    const int64_t n = static_cast<int64_t>(rows) * half;
    if (n > 0) {
        const int blocks = grid_stride_blocks(n, 256);
        rope_table_kernel<<<blocks, 256, 0, stream>>>(pos, rows, inv_freq, half, cos, sin);
    }
}

void qkv_finish(const QkvArgs& args, cudaStream_t stream) {
    if (args.rows > 0) {
        const dim3 grid(static_cast<unsigned>(args.rows), static_cast<unsigned>(args.heads + args.kv_heads));
        qkv_finish_kernel<<<grid, 32, 0, stream>>>(args);
    }
}

}  // namespace moco::cuda
