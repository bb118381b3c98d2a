// The element-wise and column-wise steps of the training pass. The two sums over rows (column
// sums, the embedding's scatter) give each column one thread that walks the rows in order: the
// sums then have the CPU pass's order and no two threads ever add into one element.
#include "cuda/device_math.cuh"
#include "cuda/train/pass_kernels.h"
#include "kernels/philox.h"

namespace moco::cuda::train {
namespace {

constexpr int kThreads = 256;

// The dropout of one module's input and the factor a kept element gets (1 / (1 - p), divided once
// on the host as the CPU pass divides, so both have the same bits).
struct DropoutArgs {
    DropoutKey key;
    float keep_factor;
};

DropoutArgs dropout_args(const DropoutKey& key) {
    return DropoutArgs{key, 1.0f / (1.0f - key.p)};
}

// train/pass.cpp dropout_factor on the device: the same draw (kernels::lora_dropout_uniform).
__device__ float dropout_factor(const DropoutArgs& a, int64_t index) {
    const float u = kernels::lora_dropout_uniform(a.key.seed, a.key.stream,
                                                  static_cast<uint32_t>(a.key.layer * kLoraModuleCount + a.key.module),
                                                  static_cast<uint32_t>(index));
    return u >= a.key.p ? a.keep_factor : 0.0f;
}

// The CPU pass's formula (expf, not __expf, like silu_mul_kernel).
__global__ void swiglu_backward_kernel(const float* gate_up, const float* dact, int rows, int inter, float* dgu) {
    const int64_t n = static_cast<int64_t>(rows) * inter;
    for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < n;
         idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t r = idx / inter;
        const int64_t i = idx % inter;
        const float gate = gate_up[r * 2 * inter + i];
        const float up = gate_up[r * 2 * inter + inter + i];
        const float da = dact[idx];
        const float s = 1.0f / (1.0f + expf(-gate));
        dgu[r * 2 * inter + i] = da * up * s * (1.0f + gate * (1.0f - s));
        dgu[r * 2 * inter + inter + i] = da * gate * s;
    }
}

__global__ void column_sums_kernel(const float* m, int rows, int cols, int64_t ld, float* out) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cols) {
        return;
    }
    float sum = out[c];
    for (int r = 0; r < rows; ++r) {
        sum += m[r * ld + c];
    }
    out[c] = sum;
}

__global__ void embedding_backward_kernel(const int32_t* tokens, const float* dx, int rows, int hidden,
                                          float* grad) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= hidden) {
        return;
    }
    for (int r = 0; r < rows; ++r) {
        grad[static_cast<int64_t>(tokens[r]) * hidden + c] += dx[static_cast<int64_t>(r) * hidden + c];
    }
}

// The dropout counter numbers the elements of the dense [rows, cols] input: r * cols + c.
__global__ void dropout_rows_kernel(const float* in, int64_t ld_in, int rows, int cols, DropoutArgs a,
                                    float* out) {
    const int64_t n = static_cast<int64_t>(rows) * cols;
    for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < n;
         idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t r = idx / cols;
        const int64_t c = idx % cols;
        out[idx] = in[r * ld_in + c] * dropout_factor(a, idx);
    }
}

__global__ void add_scaled_rows_kernel(const float* in, int64_t ld_in, int rows, int cols, float s, bool drop,
                                       DropoutArgs a, float* out, int64_t ld_out) {
    const int64_t n = static_cast<int64_t>(rows) * cols;
    for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < n;
         idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t r = idx / cols;
        const int64_t c = idx % cols;
        const float v = s * in[r * ld_in + c];
        out[r * ld_out + c] += drop ? v * dropout_factor(a, idx) : v;
    }
}

__global__ void add_bias_rows_kernel(const float* bias, int rows, int cols, float* out, int64_t ld) {
    const int64_t n = static_cast<int64_t>(rows) * cols;
    for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < n;
         idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t r = idx / cols;
        const int64_t c = idx % cols;
        out[r * ld + c] += bias[c];
    }
}

}  // namespace

void swiglu_backward(const float* gate_up, const float* dact, int rows, int inter, float* dgu,
                     cudaStream_t stream) {
    const int64_t n = static_cast<int64_t>(rows) * inter;
    if (n > 0) {
        const int blocks = grid_stride_blocks(n, kThreads);
        swiglu_backward_kernel<<<blocks, kThreads, 0, stream>>>(gate_up, dact, rows, inter, dgu);
    }
}

void add_column_sums(const float* m, int rows, int cols, int64_t ld, float* out, cudaStream_t stream) {
    if (rows > 0 && cols > 0) {
        column_sums_kernel<<<blocks_for(cols, kThreads), kThreads, 0, stream>>>(m, rows, cols, ld, out);
    }
}

void embedding_backward(const int32_t* tokens, const float* dx, int rows, int hidden, float* grad,
                        cudaStream_t stream) {
    if (rows > 0 && hidden > 0) {
        embedding_backward_kernel<<<blocks_for(hidden, kThreads), kThreads, 0, stream>>>(tokens, dx, rows, hidden,
                                                                                          grad);
    }
}

void dropout_rows(const float* in, int64_t ld_in, int rows, int cols, const DropoutKey& key, float* out,
                  cudaStream_t stream) {
    const int64_t n = static_cast<int64_t>(rows) * cols;
    if (n > 0) {
        const int blocks = grid_stride_blocks(n, kThreads);
        dropout_rows_kernel<<<blocks, kThreads, 0, stream>>>(in, ld_in, rows, cols, dropout_args(key), out);
    }
}

void add_scaled_rows(const float* in, int64_t ld_in, int rows, int cols, float s, const DropoutKey* key,
                     float* out, int64_t ld_out, cudaStream_t stream) {
    const int64_t n = static_cast<int64_t>(rows) * cols;
    if (n > 0) {
        const DropoutArgs a = dropout_args(key != nullptr ? *key : DropoutKey{});
        const int blocks = grid_stride_blocks(n, kThreads);
        add_scaled_rows_kernel<<<blocks, kThreads, 0, stream>>>(in, ld_in, rows, cols, s, key != nullptr, a, out,
                                                                 ld_out);
    }
}

void add_bias_rows(const float* bias, int rows, int cols, float* out, int64_t ld, cudaStream_t stream) {
    const int64_t n = static_cast<int64_t>(rows) * cols;
    if (n > 0) {
        const int blocks = grid_stride_blocks(n, kThreads);
        add_bias_rows_kernel<<<blocks, kThreads, 0, stream>>>(bias, rows, cols, out, ld);
    }
}

}  // namespace moco::cuda::train
