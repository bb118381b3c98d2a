// What a KV cache on a CUDA context keeps on its GPU (moco_kv_cache::device): the block pool (same
// layout as the CPU's, cpu::KvGeometry, F32), the stream and cuBLAS handle its forward calls run
// on, and the scratch buffers of a forward, grown on demand and kept between calls.
#pragma once

#include "cuda/device_buffer.h"
#include "model/model.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

namespace moco::cuda {

struct ForwardScratch {
    DeviceBuffer ints;         // per-call indices (tokens, positions, block tables), one upload
    DeviceBuffer x, h, qkv, attn, gate_up, act, cos, sin, partial, gemm_in, normed, logits;
    DeviceBuffer lora;         // the LoRA products A x (rows x the batch's largest rank, lora.h)
    // moco_forward_sample's draws: the rows' arguments, [logit rows | tokens | histories], processed rows
    DeviceBuffer draw_params, draw_ints, draw_processed;
    std::vector<int32_t> host_ints;
};

struct CacheState : DeviceState {
    CacheState() = default;
    CacheState(const CacheState&) = delete;
    CacheState& operator=(const CacheState&) = delete;
    ~CacheState() override;

    int device = 0;
    cudaStream_t stream = nullptr;
    cublasHandle_t blas = nullptr;
    DeviceBuffer blocks;
    ForwardScratch scratch;
};

}  // namespace moco::cuda
