// Device helpers of the merge kernels (merge.cu, merge_pointwise.cu): storing an f32 result in a
// moco_dtype with one round-to-nearest-even (exact for every value that passes the finite-limit
// check, hence equal to the CPU's f32_to_f16 / f32_to_bf16), and the grid of the elementwise loops.
#pragma once

#include "moco.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace moco::cuda {

__device__ inline void store_as(void* data, int dtype, int64_t i, float v) {
    switch (dtype) {
        case MOCO_DTYPE_BF16: static_cast<__nv_bfloat16*>(data)[i] = __float2bfloat16_rn(v); break;
        case MOCO_DTYPE_F16: static_cast<__half*>(data)[i] = __float2half_rn(v); break;
        default: static_cast<float*>(data)[i] = v; break;
    }
}

// Threads per block of the merge kernels, and the block count of a grid-stride loop over n
// elements (capped: a few blocks per SM of the largest GPU keep it busy).
constexpr int kMergeThreads = 256;
inline unsigned merge_blocks(int64_t n) {
    const int64_t blocks = (n + kMergeThreads - 1) / kMergeThreads;
    return static_cast<unsigned>(blocks < 4096 ? (blocks > 0 ? blocks : 1) : 4096);
}

}  // namespace moco::cuda
