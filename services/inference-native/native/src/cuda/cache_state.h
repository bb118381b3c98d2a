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

// A decode step captured as a CUDA graph (forward.cu), replayed while the batch has the same shape -
// rows, logits rows, attention length bucket - and every scratch buffer it reads or writes is the
// one it was captured with.
struct DecodeGraph {
    int rows = 0;
    int logits_rows = 0;
    int attention_len = 0;
    std::vector<const void*> buffers;
    cudaGraphExec_t exec = nullptr;
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
    DeviceBuffer blas_workspace;       // cuBLAS' own, set once: a graph capture must not allocate
    std::vector<DecodeGraph> graphs;   // oldest first, at most kMaxDecodeGraphs
    uint64_t graph_captures = 0;       // for tests and tracing
    uint64_t graph_replays = 0;
};

constexpr size_t kMaxDecodeGraphs = 16;

}  // namespace moco::cuda
