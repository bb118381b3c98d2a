// The CPU forward pass of a Llama-family decoder over a batch of sequences (HF transformers'
// LlamaModel math in float32):
//
//   x = embed[token]
//   per layer:  h = rmsnorm(x) * w;  q, k, v = h Wq^T (+ b), h Wk^T (+ b), h Wv^T (+ b)   (+ LoRA)
//               Qwen3: rmsnorm over head_dim of every q and k head;  RoPE on q and k
//               k, v -> the cache;  a = causal softmax(q k^T / sqrt(head_dim)) v  (GQA, window)
//               x += a Wo^T;  h = rmsnorm(x) * w;  x += (silu(h Wg^T) * (h Wu^T)) Wd^T
//   outputs:    hidden = rmsnorm(x) * w_final;  logits = hidden Wlm^T (or the score head)
//
// All new tokens of the batch are stacked into one matrix of rows, so every projection is one GEMM
// over the whole batch; every row's result is independent of the others (gemm.h, attention.h).
#pragma once

#include "cpu/kv_cache.h"
#include "cpu/prepared_weights.h"
#include "cpu/thread_pool.h"
#include "kernels/sampling.h"
#include "model/model.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace moco::cpu {

// One validated entry of a batch (moco_forward's moco_batch_entry, resolved).
struct ForwardEntry {
    int seq;
    const int32_t* tokens;
    int n_tokens;
    int start;                          // the sequence's length before this call
    const PreparedWeights* lora;        // the adapter's, or nullptr for the base model
    float lora_scale;
    const DeviceState* lora_device;     // the adapter's A and B on the GPU (CUDA contexts), or nullptr
    int logits_mode;                    // a moco_output_mode
    float* logits;
    int hidden_mode;
    float* hidden;
    int attend_prefix;                  // 0: causal; n > 0: keys 0..n-1 only (moco.h)
    bool sample_last = false;           // CUDA: the last row's logits are drawn from on the device
                                        // (moco_forward_sample) though logits_mode is NONE
};

// moco_forward_sample's draws, checked before the forward: entry i draws with requests[i] (nothing
// where requests[i].draw is 0), its options already read into configs[i]; tokens[i] receives the token.
struct ForwardDraws {
    const moco_sample_request* requests = nullptr;
    std::vector<kernels::SamplingConfig> configs;
    int32_t* tokens = nullptr;
};

// Rows an output mode writes for an entry of n_tokens tokens (its last `rows` positions).
inline int output_rows(int mode, int n_tokens) {
    return mode == MOCO_OUTPUT_ALL ? n_tokens : mode == MOCO_OUTPUT_LAST ? 1 : 0;
}

// Whether n outputs hold no NaN or Inf (both passes refuse such a forward and roll it back).
inline bool all_finite(const float* v, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        if (!std::isfinite(v[i])) {
            return false;
        }
    }
    return true;
}

// Scratch memory of a cache's forward calls, kept between calls to avoid reallocating.
struct Workspace {
    std::vector<float> x, h, qkv, attn, gate_up, act, rope, scores, lora_t, lora_d, final_rows;
    std::vector<int> row_entry, row_pos;
    std::vector<float*> logits_rows;
};

// Runs the model over `entries`, whose blocks the cache has already taken (KvCache::begin): stores
// their K/V and writes the requested outputs. Returns false when an output holds NaN or Inf.
bool forward(const moco_model& model, KvCache& kv, ThreadPool& pool, Workspace& ws,
             const std::vector<ForwardEntry>& entries);

}  // namespace moco::cpu
