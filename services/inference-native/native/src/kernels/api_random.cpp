// Exported entry points of the random stream: Philox4x32-10, the L5 uniform and the M5 DARE mask
// (contracts in moco.h, "Counter-based random stream").
#include "common.h"
#include "kernels/philox.h"

#include <algorithm>
#include <cmath>

extern "C" {

void moco_philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]) {
    const moco::kernels::Philox4 result = moco::kernels::philox4x32_10(
        {{counter[0], counter[1], counter[2], counter[3]}}, key[0], key[1]);
    for (int i = 0; i < 4; ++i) out[i] = result.v[i];
}

float moco_sampling_uniform(uint64_t seed, uint64_t tokens_generated, uint64_t sample_index) {
    return moco::kernels::sampling_uniform(seed, tokens_generated, sample_index);
}

moco_status moco_dare_mask(uint64_t seed, int model_index, const char* tensor_name, int64_t offset,
                           int64_t count, double density, uint8_t* keep) {
    return moco::guard("moco_dare_mask", [&]() -> moco_status {
        if (tensor_name == nullptr || (keep == nullptr && count > 0)) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "moco_dare_mask: %s is NULL",
                                   tensor_name == nullptr ? "tensor_name" : "keep");
        }
        if (offset < 0 || count < 0 || model_index < 0 || std::isnan(density)) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "moco_dare_mask: offset %lld, count %lld and model_index %d "
                                   "must be >= 0 and density (%g) not NaN",
                                   static_cast<long long>(offset), static_cast<long long>(count),
                                   model_index, density);
        }
        if (density >= 1.0 || density <= 0.0) {
            std::fill(keep, keep + count, density >= 1.0 ? 1 : 0);  // no draws
            return MOCO_OK;
        }
        const moco::kernels::DareStream stream(seed, moco::kernels::fnv1a64(tensor_name),
                                               model_index);
        stream.keep_mask(static_cast<uint64_t>(offset), count, density, keep);
        return MOCO_OK;
    });
}

}  // extern "C"
