// What the CPU backend derives from a checkpoint's weights before the first forward
// (prepare_weights.cpp), and from a LoRA adapter's (prepare_adapter).
//
// Matrices are repacked into GEMM panels IN THEIR STORED DTYPE (gemm.h) and converted in registers:
// converting F16/BF16 to F32 here would double the resident size and the memory traffic of decoding.
// Measured with moco_engine_bench (one core, ~110M-parameter Llama): BF16 panels decode 1.7x faster
// than F32 ones at batch 1 (100 vs 59 tokens/s) and as fast at batch 32 (400 vs 371) and in prefill
// (568 vs 555): the conversion hides under the FMAs. q/k/v and gate/up are stacked into one
// matrix each so that one pass over the normalised input feeds all of them. Vectors (norms,
// biases) are small and converted to F32.
#pragma once

#include "cpu/gemm.h"
#include "model/model.h"

#include <array>
#include <vector>

namespace moco {

struct PreparedLayer {
    std::vector<float> input_norm;      // [hidden]
    cpu::PackedMatrix qkv;              // columns: q [heads*head_dim], k, v [kv_heads*head_dim]
    std::vector<float> qkv_bias;        // same columns; empty without attention_bias
    std::vector<float> q_norm, k_norm;  // [head_dim]; empty without qk_norm
    cpu::PackedMatrix o;                // [hidden] columns from [heads*head_dim]
    std::vector<float> post_attention_norm;
    cpu::PackedMatrix gate_up;          // columns: gate [intermediate], up [intermediate]
    cpu::PackedMatrix down;
};

// One LoRA pair: delta = B (A x), A [rank, in] and B [out, rank] packed as Linear weights.
struct PreparedLora {
    cpu::PackedMatrix a;
    cpu::PackedMatrix b;
    bool present() const { return !a.empty(); }
};

struct PreparedWeights {
    // A model's.
    std::vector<PreparedLayer> layers;
    std::vector<float> final_norm;
    cpu::PackedMatrix head;       // lm_head (the embedding when tied) or the classifier's score
    std::vector<float> inv_freq;  // RoPE, rope_scaling applied (ops.h)

    // An adapter's: [layer][LoraModule].
    std::vector<std::array<PreparedLora, kLoraModuleCount>> lora;
    int max_rank = 0;
};

}  // namespace moco
