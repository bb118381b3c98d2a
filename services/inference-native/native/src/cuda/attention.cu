// Attention over the paged KV cache in two kernels (flash-decoding):
//   attention_partial  grid (row, head, split), 4 warps: each warp walks every 4th key of the
//                      split's chunk with an online softmax (running max m, sum l, weighted sum of
//                      v), the warps' states merge in shared memory into the split's (m, l, acc);
//   attention_combine  grid (row, head): merges the splits' states into softmax(q k^T * scale) v.
// A row's keys are first..last as in cpu::attend: the sliding window cuts the front, attend_prefix
// the back. Chunks are long (>= kMinChunk keys) and only as many as fill the GPU: one split for a
// large prefill, many for a decode step over a long context.
#include "cuda/device_math.cuh"
#include "cuda/kernels.h"

#include <algorithm>

namespace moco::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kPerLane = kMaxHeadDim / 32;
constexpr int kMinChunk = 256;
constexpr int kTargetBlocks = 1024;

struct KeyRange {
    int first;
    int last;
};

__device__ KeyRange key_range(const AttentionArgs& a, int r) {
    const int pos = a.pos[r];
    const int limit = a.key_limit[r];
    KeyRange k;
    k.first = a.sliding_window > 0 && pos - a.sliding_window + 1 > 0 ? pos - a.sliding_window + 1 : 0;
    k.last = limit > 0 ? min(pos, limit - 1) : pos;
    return k;
}

__global__ void attention_partial(AttentionArgs a, int splits, int chunk) {
    __shared__ float warp_m[kWarps];
    __shared__ float warp_l[kWarps];
    __shared__ float warp_acc[kWarps][kMaxHeadDim];
    const int r = blockIdx.x;
    const int h = blockIdx.y;
    const int split = blockIdx.z;
    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    const int hd = a.head_dim;
    const KeyRange keys = key_range(a, r);
    const int begin = keys.first + split * chunk;
    const int end = min(keys.last + 1, begin + chunk);
    const int kv_head = h / (a.heads / a.kv_heads);

    float q[kPerLane];
    const float* q_row = a.q + static_cast<int64_t>(r) * a.ld_q + static_cast<int64_t>(h) * hd;
    for (int i = 0; i < kPerLane; ++i) {
        const int d = lane + 32 * i;
        q[i] = d < hd ? q_row[d] : 0.0f;
    }
    const int64_t per_head = static_cast<int64_t>(a.block_tokens) * hd;
    const int64_t k_offset = (static_cast<int64_t>(a.layer) * 2 * a.kv_heads + kv_head) * per_head;
    const int64_t v_offset = ((static_cast<int64_t>(a.layer) * 2 + 1) * a.kv_heads + kv_head) * per_head;
    const int32_t* table = a.tables + a.table_start[r];

    float m = -INFINITY;
    float l = 0.0f;
    float acc[kPerLane];
    for (int i = 0; i < kPerLane; ++i) {
        acc[i] = 0.0f;
    }
    for (int j = begin + warp; j < end; j += kWarps) {
        const float* slot = a.kv_blocks + static_cast<int64_t>(table[j / a.block_tokens]) * a.floats_per_block +
                            static_cast<int64_t>(j % a.block_tokens) * hd;
        const float* k = slot + k_offset;
        const float* v = slot + v_offset;
        float dot = 0.0f;
        for (int i = 0; i < kPerLane; ++i) {
            const int d = lane + 32 * i;
            dot += d < hd ? q[i] * k[d] : 0.0f;
        }
        const float score = warp_sum(dot) * a.scale;
        const float m_new = fmaxf(m, score);
        const float correction = expf(m - m_new);  // 0 for the first key (m = -inf)
        const float p = expf(score - m_new);
        l = l * correction + p;
        for (int i = 0; i < kPerLane; ++i) {
            const int d = lane + 32 * i;
            acc[i] = acc[i] * correction + (d < hd ? p * v[d] : 0.0f);
        }
        m = m_new;
    }

    if (lane == 0) {
        warp_m[warp] = m;
        warp_l[warp] = l;
    }
    for (int i = 0; i < kPerLane; ++i) {
        const int d = lane + 32 * i;
        if (d < hd) {
            warp_acc[warp][d] = acc[i];
        }
    }
    __syncthreads();

    float* out = a.partial + ((static_cast<int64_t>(r) * a.heads + h) * splits + split) * (hd + 2);
    float m_all = -INFINITY;
    for (int w = 0; w < kWarps; ++w) {
        m_all = fmaxf(m_all, warp_m[w]);
    }
    if (m_all == -INFINITY) {  // an empty chunk (a short row in a batch with a long one)
        for (int d = threadIdx.x; d < hd + 2; d += blockDim.x) {
            out[d] = d == 0 ? -INFINITY : 0.0f;
        }
        return;
    }
    float weight[kWarps];
    float l_all = 0.0f;
    for (int w = 0; w < kWarps; ++w) {
        weight[w] = expf(warp_m[w] - m_all);
        l_all += warp_l[w] * weight[w];
    }
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
        float sum = 0.0f;
        for (int w = 0; w < kWarps; ++w) {
            sum += warp_acc[w][d] * weight[w];
        }
        out[2 + d] = sum;
    }
    if (threadIdx.x == 0) {
        out[0] = m_all;
        out[1] = l_all;
    }
}

__global__ void attention_combine(AttentionArgs a, int splits) {
    const int r = blockIdx.x;
    const int h = blockIdx.y;
    const int hd = a.head_dim;
    const float* part = a.partial + (static_cast<int64_t>(r) * a.heads + h) * splits * (hd + 2);
    float m_all = -INFINITY;
    for (int s = 0; s < splits; ++s) {
        m_all = fmaxf(m_all, part[s * (hd + 2)]);
    }
    float l_all = 0.0f;
    for (int s = 0; s < splits; ++s) {
        l_all += part[s * (hd + 2) + 1] * expf(part[s * (hd + 2)] - m_all);
    }
    const float inv_l = 1.0f / l_all;
    float* out = a.out + static_cast<int64_t>(r) * a.ld_out + static_cast<int64_t>(h) * hd;
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
        float sum = 0.0f;
        for (int s = 0; s < splits; ++s) {
            sum += part[s * (hd + 2) + 2 + d] * expf(part[s * (hd + 2)] - m_all);
        }
        out[d] = sum * inv_l;
    }
}

}  // namespace

int attention_splits(int rows, int heads, int max_len) {
    const int by_length = (max_len + kMinChunk - 1) / kMinChunk;
    const int by_parallelism = std::max(1, kTargetBlocks / std::max(1, rows * heads));
    return std::max(1, std::min(by_length, by_parallelism));
}

size_t attention_partial_floats(int rows, int heads, int head_dim, int max_len) {
    return static_cast<size_t>(rows) * heads * attention_splits(rows, heads, max_len) * (head_dim + 2);
}

void attention(const AttentionArgs& args, cudaStream_t stream) {
    if (args.rows <= 0) {
        return;
    }
    const int splits = attention_splits(args.rows, args.heads, args.max_len);
    const int chunk = (args.max_len + splits - 1) / splits;
    const dim3 grid(static_cast<unsigned>(args.rows), static_cast<unsigned>(args.heads),
                    static_cast<unsigned>(splits));
    attention_partial<<<grid, 32 * kWarps, 0, stream>>>(args, splits, chunk);
    const dim3 combine_grid(static_cast<unsigned>(args.rows), static_cast<unsigned>(args.heads));
    attention_combine<<<combine_grid, 128, 0, stream>>>(args, splits);
}

}  // namespace moco::cuda
