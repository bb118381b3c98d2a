// Device logit kernels (logit_kernels.h): one block per row for the reductions, a grid-stride loop
// for the elementwise L2/L3. Sums of exponentials run in double like the CPU's.
#include "cuda/device_math.cuh"
#include "cuda/logit_kernels.h"

#include <climits>

namespace moco::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void log_softmax_kernel(const float* z, int vocab, float* out) {
    const float* zr = z + static_cast<int64_t>(blockIdx.x) * vocab;
    float* o = out + static_cast<int64_t>(blockIdx.x) * vocab;
    float m = -INFINITY;
    for (int v = threadIdx.x; v < vocab; v += kThreads) m = fmaxf(m, zr[v]);
    m = block_max(m);
    double s = 0.0;
    for (int v = threadIdx.x; v < vocab; v += kThreads) s += static_cast<double>(expf(zr[v] - m));
    const float log_sum = static_cast<float>(log(block_sum(s)));
    for (int v = threadIdx.x; v < vocab; v += kThreads) o[v] = (zr[v] - m) - log_sum;
}

__global__ void entropy_kernel(const float* z, int vocab, float* out) {
    const float* zr = z + static_cast<int64_t>(blockIdx.x) * vocab;
    float m = -INFINITY;
    for (int v = threadIdx.x; v < vocab; v += kThreads) m = fmaxf(m, zr[v]);
    m = block_max(m);
    double s = 0.0, shifted = 0.0;
    for (int v = threadIdx.x; v < vocab; v += kThreads) {
        const float x = zr[v] - m;
        const float e = expf(x);
        s += e;
        shifted += e > 0.0f ? static_cast<double>(e) * x : 0.0;  // 0 * -inf would be NaN
    }
    s = block_sum(s);
    shifted = block_sum(shifted);
    if (threadIdx.x == 0) {
        // H = ln s - Σ e (z - m) / s; rounding can dip below 0 for one-hot rows.
        const double h = log(s) - shifted / s;
        out[blockIdx.x] = static_cast<float>(h > 0.0 ? h : 0.0);
    }
}

__global__ void fuse_kernel(const float* const* inputs, const int* strides, const float* weights, int n, int rows,
                            int vocab, float* out) {
    const int64_t total = static_cast<int64_t>(rows) * vocab;
    for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
         idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t r = idx / vocab;
        const int64_t v = idx % vocab;
        float acc = 0.0f;
        bool started = false;
        for (int i = 0; i < n; ++i) {
            const float w = weights != nullptr ? weights[i] : 1.0f;
            if (w == 0.0f) continue;  // skipped, never multiplied: 0 * -inf would be NaN
            const float z = inputs[i][r * (strides != nullptr ? strides[i] : vocab) + v];
            const float term = weights != nullptr ? w * z : z;
            acc = started ? acc + term : term;  // the first term starts the sum (a -0 stays -0)
            started = true;
        }
        out[idx] = weights == nullptr ? acc / static_cast<float>(n) : acc;
    }
}

__global__ void contrast_kernel(const float* const* inputs, const int* strides, int k, float lambda, int rows,
                                int vocab, float* out) {
    const int64_t total = static_cast<int64_t>(rows) * vocab;
    for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
         idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t r = idx / vocab;
        const int64_t v = idx % vocab;
        auto at = [&](int i) { return inputs[i][r * (strides != nullptr ? strides[i] : vocab) + v]; };
        float acc = 0.0f;
        for (int j = 0; j < k; ++j) {
            acc += at(j);
            acc -= at(k + j);
        }
        out[idx] = lambda * acc + at(0);
    }
}

// Selection k times: step j takes the largest (value, -index) strictly below step j-1's pick, so
// no per-row scratch is needed; O(k * vocab) per row, for the small k of a sampler.
__global__ void top_k_kernel(const float* values, int vocab, int k, int32_t* ids, float* top_values) {
    __shared__ float best_value[kThreads / 32];
    __shared__ int best_index[kThreads / 32];
    const float* row = values + static_cast<int64_t>(blockIdx.x) * vocab;
    float prev_value = INFINITY;
    int prev_index = -1;
    for (int j = 0; j < k; ++j) {
        float value = -INFINITY;
        int index = INT_MAX;
        for (int v = threadIdx.x; v < vocab; v += kThreads) {
            const float x = row[v];
            const bool below_prev = x < prev_value || (x == prev_value && v > prev_index);
            const bool better = x > value || (x == value && v < index);
            if (below_prev && better) {
                value = x;
                index = v;
            }
        }
        for (int offset = 16; offset > 0; offset /= 2) {
            const float other_value = __shfl_xor_sync(0xffffffffu, value, offset);
            const int other_index = __shfl_xor_sync(0xffffffffu, index, offset);
            if (other_value > value || (other_value == value && other_index < index)) {
                value = other_value;
                index = other_index;
            }
        }
        __syncthreads();
        if (threadIdx.x % 32 == 0) {
            best_value[threadIdx.x / 32] = value;
            best_index[threadIdx.x / 32] = index;
        }
        __syncthreads();
        value = best_value[0];
        index = best_index[0];
        for (int w = 1; w < kThreads / 32; ++w) {
            if (best_value[w] > value || (best_value[w] == value && best_index[w] < index)) {
                value = best_value[w];
                index = best_index[w];
            }
        }
        if (threadIdx.x == 0) {
            ids[static_cast<int64_t>(blockIdx.x) * k + j] = index;
            if (top_values != nullptr) top_values[static_cast<int64_t>(blockIdx.x) * k + j] = value;
        }
        prev_value = value;
        prev_index = index;
    }
}

}  // namespace

void log_softmax_rows(const float* z, int rows, int vocab, float* out, cudaStream_t stream) {
    if (rows > 0) log_softmax_kernel<<<rows, kThreads, 0, stream>>>(z, vocab, out);
}

void fuse_rows(const float* const* inputs, const int* strides, const float* weights, int n, int rows, int vocab,
               float* out, cudaStream_t stream) {
    const int64_t total = static_cast<int64_t>(rows) * vocab;
    if (total > 0) {
        const int blocks = grid_stride_blocks(total, kThreads);
        fuse_kernel<<<blocks, kThreads, 0, stream>>>(inputs, strides, weights, n, rows, vocab, out);
    }
}

void contrast_rows(const float* const* inputs, const int* strides, int k, float lambda, int rows, int vocab,
                   float* out, cudaStream_t stream) {
    const int64_t total = static_cast<int64_t>(rows) * vocab;
    if (total > 0) {
        const int blocks = grid_stride_blocks(total, kThreads);
        contrast_kernel<<<blocks, kThreads, 0, stream>>>(inputs, strides, k, lambda, rows, vocab, out);
    }
}

void entropy_rows(const float* z, int rows, int vocab, float* out, cudaStream_t stream) {
    if (rows > 0) entropy_kernel<<<rows, kThreads, 0, stream>>>(z, vocab, out);
}

void top_k_rows(const float* values, int rows, int vocab, int k, int32_t* ids, float* top_values,
                cudaStream_t stream) {
    if (rows > 0 && k > 0) top_k_kernel<<<rows, kThreads, 0, stream>>>(values, vocab, k, ids, top_values);
}

}  // namespace moco::cuda
