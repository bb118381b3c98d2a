#include "cpu/attention.h"

#include "cpu/ops.h"
#include "cpu/vec.h"

#include <algorithm>
#include <cstring>

namespace moco::cpu {

void attend(const KvCache& kv, const std::vector<int>& blocks, const AttentionQuery& query,
            float* scores, float* out) {
    const KvGeometry& g = kv.geometry();
    const VecOps& vec = vec_ops();
    const int first = query.sliding_window > 0 && query.pos - query.sliding_window + 1 > 0
                          ? query.pos - query.sliding_window + 1
                          : 0;
    const int last = query.key_limit > 0 ? std::min(query.pos, query.key_limit - 1) : query.pos;
    const int n = last - first + 1;
    const int64_t k_offset = g.offset(query.layer, 0, query.kv_head);
    const int64_t v_offset = g.offset(query.layer, 1, query.kv_head);

    // Visits the keys first..last block by block: fn(keys' first index - first, count, slot base).
    auto for_each_run = [&](auto&& fn) {
        for (int j = first; j <= last;) {
            const int slot = j % g.block_tokens;
            const int count = std::min(g.block_tokens - slot, last + 1 - j);
            const float* base = kv.block(blocks[static_cast<size_t>(j / g.block_tokens)]);
            fn(j - first, count, base + static_cast<int64_t>(slot) * g.head_dim);
            j += count;
        }
    };

    for_each_run([&](int i, int count, const float* slot_base) {
        vec.dot_rows(query.q, slot_base + k_offset, g.head_dim, count, g.head_dim, scores + i);
    });
    softmax_scaled(scores, n, query.scale);
    std::memset(out, 0, static_cast<size_t>(g.head_dim) * sizeof(float));
    for_each_run([&](int i, int count, const float* slot_base) {
        vec.axpy_rows(scores + i, slot_base + v_offset, g.head_dim, count, g.head_dim, out);
    });
}

}  // namespace moco::cpu
