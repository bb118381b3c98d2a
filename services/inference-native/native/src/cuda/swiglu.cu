#include "cuda/device_math.cuh"
#include "cuda/kernels.h"

namespace moco::cuda {
namespace {

// act = silu(gate) * up, silu(g) = g / (1 + exp(-g)), the CPU's formula (expf, not __expf).
__global__ void silu_mul_kernel(const float* gate_up, int rows, int inter, float* act) {
    const int64_t n = static_cast<int64_t>(rows) * inter;
    for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < n;
         idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t r = idx / inter;
        const int64_t i = idx % inter;
        const float g = gate_up[r * 2 * inter + i];
        const float u = gate_up[r * 2 * inter + inter + i];
        act[idx] = g / (1.0f + expf(-g)) * u;
    }
}

}  // namespace

void silu_mul_rows(const float* gate_up, int rows, int inter, float* act, cudaStream_t stream) {
    const int64_t n = static_cast<int64_t>(rows) * inter;
    if (n > 0) {
        const int blocks = grid_stride_blocks(n, 256);
        silu_mul_kernel<<<blocks, 256, 0, stream>>>(gate_up, rows, inter, act);
    }
}

}  // namespace moco::cuda
