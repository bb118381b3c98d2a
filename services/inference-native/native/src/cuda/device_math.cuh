// Device helpers shared by the kernels: reductions and reading a stored dtype as F32.
#pragma once

#include "model/model.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace moco::cuda {

// Sum of v over the warp (every lane calls), a butterfly: every lane gets the same bits.
template <class T>
__device__ inline T warp_sum(T v) {
    for (int offset = 16; offset > 0; offset /= 2) {
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    }
    return v;
}

__device__ inline float warp_max(float v) {
    for (int offset = 16; offset > 0; offset /= 2) {
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    }
    return v;
}

// Sum of v over the block (blockDim.x a multiple of 32, at most 1024); every thread gets it. The
// order is fixed by blockDim alone (each warp's butterfly, then the warps in index order), so a
// block's result never depends on scheduling. F32 for the forward, double for the training sums
// (row log-sum-exps, squared-gradient chunks).
template <class T>
__device__ inline T block_sum(T v) {
    __shared__ T partial[32];
    const int lane = threadIdx.x % 32;
    const int warp = threadIdx.x / 32;
    v = warp_sum(v);
    __syncthreads();  // partial may still be read by a previous call
    if (lane == 0) {
        partial[warp] = v;
    }
    __syncthreads();
    T total = 0;
    for (int w = 0; w < static_cast<int>(blockDim.x / 32); ++w) {
        total += partial[w];
    }
    return total;
}

// Largest v over the block (blockDim.x a multiple of 32, at most 1024); every thread gets it. NaN
// lanes are skipped (fmaxf), -INFINITY is the identity.
__device__ inline float block_max(float v) {
    __shared__ float partial[32];
    const int lane = threadIdx.x % 32;
    const int warp = threadIdx.x / 32;
    v = warp_max(v);
    __syncthreads();  // partial may still be read by a previous call
    if (lane == 0) {
        partial[warp] = v;
    }
    __syncthreads();
    float m = -INFINITY;
    for (int w = 0; w < static_cast<int>(blockDim.x / 32); ++w) {
        m = fmaxf(m, partial[w]);
    }
    return m;
}

__device__ inline float load_as_f32(const void* data, DType dtype, int64_t i) {
    switch (dtype) {
        case DType::BF16: return __bfloat162float(static_cast<const __nv_bfloat16*>(data)[i]);
        case DType::F16: return __half2float(static_cast<const __half*>(data)[i]);
        default: return static_cast<const float*>(data)[i];
    }
}

inline int blocks_for(int64_t n, int threads) {
    return static_cast<int>((n + threads - 1) / threads);
}

// The grid of a grid-stride loop over n elements: one thread per element up to the 65535 blocks
// every launch configuration allows in x, the loop covering the rest.
inline int grid_stride_blocks(int64_t n, int threads) {
    const int blocks = blocks_for(n, threads);
    return blocks < 65535 ? blocks : 65535;
}

}  // namespace moco::cuda
