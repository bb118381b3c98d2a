// A model's weights on the GPU (moco_model::device): what cuda::upload_model copies at load time.
//
// Matrices keep the checkpoint's dtype: BF16 and F16 checkpoints run cuBLAS in that dtype with FP32
// accumulation (half the bytes of F32 per decoded token), F32 checkpoints (the golden fixtures, the
// trained zoo models) stay F32 so that their logits match the CPU backend's to float rounding.
// q/k/v and gate/up are stacked like the CPU's PreparedLayer (one GEMM each); norms, biases and the
// RoPE frequencies are F32.
#pragma once

#include "cuda/device_buffer.h"
#include "model/model.h"

#include <vector>

namespace moco::cuda {

// A Linear weight [n, k] (row-major, out_features x in_features) in device memory.
struct DeviceMatrix {
    const void* data = nullptr;
    DType dtype = DType::F32;
    int n = 0;
    int k = 0;
};

struct DeviceLayer {
    const float* input_norm = nullptr;
    DeviceMatrix qkv;                  // rows: q [heads*head_dim], k, v [kv_heads*head_dim]
    const float* qkv_bias = nullptr;   // nullptr without attention_bias
    const float* q_norm = nullptr;     // [head_dim]; nullptr without qk_norm
    const float* k_norm = nullptr;
    DeviceMatrix o;
    const float* post_attention_norm = nullptr;
    DeviceMatrix gate_up;              // rows: gate [intermediate], up [intermediate]
    DeviceMatrix down;
};

struct DeviceWeights : DeviceState {
    int device = 0;
    DeviceMatrix embed;                // [vocab, hidden]
    std::vector<DeviceLayer> layers;
    const float* final_norm = nullptr;
    DeviceMatrix head;                 // lm_head (the embedding's memory when tied) or score
    const float* inv_freq = nullptr;   // [head_dim / 2], rope_scaling applied (cpu/ops.h)
    std::vector<DeviceBuffer> buffers; // owns all of the above
};

}  // namespace moco::cuda
