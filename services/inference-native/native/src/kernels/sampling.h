// Token sampling: the processors of methods-text.md §0.4 / contracts.md §2 in their order -
// repetition penalty -> temperature -> top-k -> top-p -> min-p -> draw - and the L5 draw
// (methods-logit-weight.md §1.1). The uniform u comes from the caller (philox.h's
// sampling_uniform in the C entry point), which keeps this file free of any notion of sequences.
#pragma once

#include "moco.h"

#include <cstdint>

namespace moco::kernels {

struct SamplingConfig {
    float temperature = 1.0f;         // 0 = greedy
    int top_k = 0;                    // 0 = off
    float top_p = 1.0f;               // 1 = off
    float min_p = 0.0f;               // 0 = off
    float repetition_penalty = 1.0f;  // 1 = off
};

// The checks moco_sample makes on its options and history (api_sampling.cpp), error messages
// starting with `fn`; shared with the CUDA backend's device sampler, whose kernels assume arguments
// that passed them.
moco_status read_sampling_options(const char* fn, const moco_sampling_options* opts,
                                  SamplingConfig* config);
moco_status validate_history(const char* fn, const int32_t* history, int n_history, int vocab);

// Picks *token from one row of `vocab` logits. `history` (n_history ids in [0, vocab)) feeds the
// repetition penalty. `processed`, when not NULL, receives the logits after the processors
// (filtered entries -inf). Arguments were validated by the caller; failures are numeric only.
moco_status sample(const float* logits, int vocab, const SamplingConfig& config,
                   const int32_t* history, int n_history, float u, float* processed,
                   int32_t* token);

}  // namespace moco::kernels
