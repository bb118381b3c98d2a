// Attention of a training micro-batch: keys and values are rows of qkv (no cache), and a plain
// three-pass softmax writes the probabilities out, so the backward's kernels can read them, in
// place of the inference kernel's online one. No layer keeps them: the backward recomputes the
// layer's probabilities (the same block code on the same inputs, so the same bits) into the one
// scratch every layer shares, which turns L x heads x T^2 / 2 floats into one layer's worth. It
// then runs in two kernels so that no two blocks add into one gradient:
//   attention_probs_kernel grid (row, head): the probabilities again;
//   attention_ds_kernel    grid (row, head): dP = dO v^T, dS = P (dP - sum P dP) scale into `ds`
//                          (the layout of probs), dq = dS k;
//   attention_dkv_kernel   grid (key row, kv head), a thread per dim: dk and dv summed over the
//                          group's heads, then the query rows that see the key, in that order.
#include "cuda/device_math.cuh"
#include "cuda/train/pass_kernels.h"

namespace moco::cuda::train {
namespace {

constexpr int kWarps = 4;

// The widths of a qkv row: q heads, then k heads, then v heads.
struct Dims {
    int q_dim, kv_dim, qkv_dim;
};

__device__ Dims dims_of(int heads, int kv_heads, int head_dim) {
    return Dims{heads * head_dim, kv_heads * head_dim, (heads + 2 * kv_heads) * head_dim};
}

// out[j] = sum_d a[d] * rows[j * ld + d] for j < n, a warp per j (lane 0 writes).
__device__ void dot_rows(const float* a, const float* rows, int ld, int n, int head_dim, float* out) {
    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    for (int j = warp; j < n; j += static_cast<int>(blockDim.x / 32)) {
        const float* row = rows + static_cast<int64_t>(j) * ld;
        float dot = 0.0f;
        for (int d = lane; d < head_dim; d += 32) {
            dot += a[d] * row[d];
        }
        dot = warp_sum(dot);
        if (lane == 0) {
            out[j] = dot;
        }
    }
}

// out[d] = sum_j w[j] * rows[j * ld + d], j in order, a thread per d.
__device__ void weighted_rows(const float* w, const float* rows, int ld, int n, int head_dim, float* out) {
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
        float sum = 0.0f;
        for (int j = 0; j < n; ++j) {
            sum += w[j] * rows[static_cast<int64_t>(j) * ld + d];
        }
        out[d] = sum;
    }
}

// Row r's probabilities for head h over its keys, at their place in `probs`: the whole block.
__device__ const float* row_probs(const float* qkv, const RowLayout& layout, int heads, int kv_heads, int head_dim,
                                  float scale, float* probs) {
    const Dims m = dims_of(heads, kv_heads, head_dim);
    const int r = blockIdx.x;
    const int h = blockIdx.y;
    const int first = layout.first[r];
    const int n = r - first + 1;
    const float* q = qkv + static_cast<int64_t>(r) * m.qkv_dim + h * head_dim;
    const float* k = qkv + static_cast<int64_t>(first) * m.qkv_dim + m.q_dim + (h / (heads / kv_heads)) * head_dim;
    float* p = probs + layout.prob_offset[r] + static_cast<int64_t>(h) * n;

    dot_rows(q, k, m.qkv_dim, n, head_dim, p);
    __syncthreads();  // the scores of every warp, read below by every thread
    float max_score = -INFINITY;
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        p[j] *= scale;
        max_score = fmaxf(max_score, p[j]);
    }
    max_score = block_max(max_score);
    float sum = 0.0f;
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        p[j] = expf(p[j] - max_score);
        sum += p[j];
    }
    const float inv_sum = 1.0f / block_sum(sum);
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        p[j] *= inv_sum;
    }
    __syncthreads();
    return p;
}

__global__ void attention_forward_kernel(const float* qkv, RowLayout layout, int heads, int kv_heads, int head_dim,
                                         float scale, float* probs, float* attn) {
    const Dims m = dims_of(heads, kv_heads, head_dim);
    const int r = blockIdx.x;
    const int h = blockIdx.y;
    const float* p = row_probs(qkv, layout, heads, kv_heads, head_dim, scale, probs);
    const float* v = qkv + static_cast<int64_t>(layout.first[r]) * m.qkv_dim + m.q_dim + m.kv_dim +
                     (h / (heads / kv_heads)) * head_dim;
    weighted_rows(p, v, m.qkv_dim, r - layout.first[r] + 1, head_dim,
                  attn + static_cast<int64_t>(r) * m.q_dim + h * head_dim);
}

__global__ void attention_probs_kernel(const float* qkv, RowLayout layout, int heads, int kv_heads, int head_dim,
                                       float scale, float* probs) {
    row_probs(qkv, layout, heads, kv_heads, head_dim, scale, probs);
}

__global__ void attention_ds_kernel(const float* qkv, const float* probs, const float* dattn, RowLayout layout,
                                    int heads, int kv_heads, int head_dim, float scale, float* ds, float* dqkv) {
    const Dims m = dims_of(heads, kv_heads, head_dim);
    const int r = blockIdx.x;
    const int h = blockIdx.y;
    const int first = layout.first[r];
    const int n = r - first + 1;
    const int64_t at = layout.prob_offset[r] + static_cast<int64_t>(h) * n;
    const float* p = probs + at;
    float* s = ds + at;
    const float* d_out = dattn + static_cast<int64_t>(r) * m.q_dim + h * head_dim;
    const float* k = qkv + static_cast<int64_t>(first) * m.qkv_dim + m.q_dim + (h / (heads / kv_heads)) * head_dim;
    const float* v = k + m.kv_dim;

    dot_rows(d_out, v, m.qkv_dim, n, head_dim, s);  // dP
    __syncthreads();
    float pdp = 0.0f;
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        pdp += p[j] * s[j];
    }
    pdp = block_sum(pdp);
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        s[j] = p[j] * (s[j] - pdp) * scale;
    }
    __syncthreads();
    weighted_rows(s, k, m.qkv_dim, n, head_dim, dqkv + static_cast<int64_t>(r) * m.qkv_dim + h * head_dim);
}

__global__ void attention_dkv_kernel(const float* qkv, const float* probs, const float* dattn, RowLayout layout,
                                     int heads, int kv_heads, int head_dim, const float* ds, float* dqkv) {
    const Dims m = dims_of(heads, kv_heads, head_dim);
    const int j = blockIdx.x;
    const int g = blockIdx.y;
    const int group = heads / kv_heads;
    const int end = layout.seq_end[j];
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
        float dk = 0.0f;
        float dv = 0.0f;
        for (int h = g * group; h < (g + 1) * group; ++h) {
            for (int r = j; r < end; ++r) {
                const int first = layout.first[r];
                if (first > j) {
                    break;  // first only grows along a sequence: no later row sees key j either
                }
                const int64_t at = layout.prob_offset[r] + static_cast<int64_t>(h) * (r - first + 1) + (j - first);
                dk += ds[at] * qkv[static_cast<int64_t>(r) * m.qkv_dim + h * head_dim + d];
                dv += probs[at] * dattn[static_cast<int64_t>(r) * m.q_dim + h * head_dim + d];
            }
        }
        float* dk_out = dqkv + static_cast<int64_t>(j) * m.qkv_dim + m.q_dim + g * head_dim;
        dk_out[d] = dk;
        dk_out[m.kv_dim + d] = dv;
    }
}

int dim_threads(int head_dim) {
    const int threads = (head_dim + 31) / 32 * 32;
    return threads < 256 ? threads : 256;
}

}  // namespace

void attention_forward(const float* qkv, const RowLayout& layout, int heads, int kv_heads, int head_dim,
                       float scale, float* probs, float* attn, cudaStream_t stream) {
    if (layout.rows > 0) {
        const dim3 grid(static_cast<unsigned>(layout.rows), static_cast<unsigned>(heads));
        attention_forward_kernel<<<grid, 32 * kWarps, 0, stream>>>(qkv, layout, heads, kv_heads, head_dim, scale,
                                                                   probs, attn);
    }
}

void attention_backward(const float* qkv, const float* dattn, const RowLayout& layout, int heads, int kv_heads,
                        int head_dim, float scale, float* probs, float* ds, float* dqkv, cudaStream_t stream) {
    if (layout.rows > 0) {
        const dim3 grid(static_cast<unsigned>(layout.rows), static_cast<unsigned>(heads));
        attention_probs_kernel<<<grid, 32 * kWarps, 0, stream>>>(qkv, layout, heads, kv_heads, head_dim, scale,
                                                                 probs);
        attention_ds_kernel<<<grid, 32 * kWarps, 0, stream>>>(qkv, probs, dattn, layout, heads, kv_heads, head_dim,
                                                              scale, ds, dqkv);
        const dim3 kv_grid(static_cast<unsigned>(layout.rows), static_cast<unsigned>(kv_heads));
        attention_dkv_kernel<<<kv_grid, dim_threads(head_dim), 0, stream>>>(qkv, probs, dattn, layout, heads,
                                                                            kv_heads, head_dim, ds, dqkv);
    }
}

}  // namespace moco::cuda::train
