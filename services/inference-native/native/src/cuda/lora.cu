#include "cuda/lora.h"

#include "cuda/gemm.h"

#include <algorithm>
#include <unordered_map>

namespace moco::cuda {

std::vector<int> lora_row_order(const std::vector<cpu::ForwardEntry>& entries, std::vector<LoraGroup>* groups) {
    std::unordered_map<const DeviceState*, size_t> group_of;
    std::vector<std::vector<int>> members;
    for (size_t e = 0; e < entries.size(); ++e) {
        const auto it = group_of.emplace(entries[e].lora_device, members.size()).first;
        if (it->second == members.size()) {
            members.emplace_back();
        }
        members[it->second].push_back(static_cast<int>(e));
    }
    std::vector<int> order;
    order.reserve(entries.size());
    groups->clear();
    int row = 0;
    for (const std::vector<int>& group : members) {
        const int row0 = row;
        for (int e : group) {
            order.push_back(e);
            row += entries[static_cast<size_t>(e)].n_tokens;
        }
        const DeviceState* adapter = entries[static_cast<size_t>(group.front())].lora_device;
        if (adapter != nullptr) {
            groups->push_back({static_cast<const DeviceAdapter*>(adapter), row0, row - row0});
        }
    }
    return order;
}

int lora_max_rank(const std::vector<LoraGroup>& groups) {
    int rank = 0;
    for (const LoraGroup& g : groups) {
        rank = std::max(rank, g.adapter->max_rank);
    }
    return rank;
}

void apply_lora(cublasHandle_t blas, const std::vector<LoraGroup>& groups, int layer, LoraModule module,
                const float* in, int ld_in, float* out, int ld_out, float* t) {
    for (const LoraGroup& g : groups) {
        const DeviceLoraPair& pair = g.adapter->layers[static_cast<size_t>(layer)][static_cast<size_t>(module)];
        if (!pair.present()) {
            continue;
        }
        const float* x = in + static_cast<int64_t>(g.row0) * ld_in;
        float* y = out + static_cast<int64_t>(g.row0) * ld_out;
        // t[rows, rank] = x[rows, in] . A[rank, in]^T, packed (ld = rank).
        gemm(blas, pair.a, x, g.rows, ld_in, t, pair.a.n, 1.0f, 0.0f);
        // y[rows, out] = scale * (t . B[out, rank]^T) + y: cuBLAS scales the product, then adds.
        gemm(blas, pair.b, t, g.rows, pair.b.k, y, ld_out, g.adapter->scale, 1.0f);
    }
}

}  // namespace moco::cuda
