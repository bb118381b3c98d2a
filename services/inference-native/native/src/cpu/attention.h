// Causal self-attention of one query row and one head over a sequence's paged K/V, with a fixed
// order: scores by vec.h's dot in key order, a float32 softmax whose sum runs in key order, and the
// output accumulated over keys in order (vec.h's axpy_rows). The result depends only on the query,
// the cached keys and values and the position, never on the batch or the thread.
#pragma once

#include "cpu/kv_cache.h"

namespace moco::cpu {

struct AttentionQuery {
    const float* q;            // [head_dim]
    int layer;
    int kv_head;
    int pos;                   // the query's position; keys 0..pos are cached
    int sliding_window;        // > 0: only keys pos - sliding_window + 1 .. pos (HF semantics)
    int key_limit;             // > 0: only keys below it (a padding query, moco.h attend_prefix);
                               // the window must keep at least one of them
    float scale;               // 1 / sqrt(head_dim)
};

// out[0..head_dim) = softmax(q K^T * scale) V over the keys of `blocks` (a block table);
// `scores` is scratch for pos + 1 floats.
void attend(const KvCache& kv, const std::vector<int>& blocks, const AttentionQuery& query,
            float* scores, float* out);

}  // namespace moco::cpu
