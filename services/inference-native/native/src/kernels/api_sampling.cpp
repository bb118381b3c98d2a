// Exported entry points of sampling: option defaults and validation, the seeded uniform, then
// sampling.cpp's processors and draw.
#include "common.h"
#include "kernels/philox.h"
#include "kernels/sampling.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

namespace moco::kernels {
namespace {

// The first published layout ends after repetition_penalty.
constexpr int kSamplingOptionsV1Size =
    static_cast<int>(offsetof(moco_sampling_options, repetition_penalty) + sizeof(float));

}  // namespace

moco_status read_sampling_options(const char* fn, const moco_sampling_options* opts,
                                  SamplingConfig* config) {
    moco_sampling_options o = moco_sampling_default_options();
    if (opts != nullptr) {
        if (opts->struct_size < kSamplingOptionsV1Size) {
            return moco::set_error(
                MOCO_ERR_INVALID_ARGUMENT,
                "%s: opts->struct_size is %d but must be at least %d; set it to "
                "sizeof(moco_sampling_options) or start from moco_sampling_default_options()",
                fn, opts->struct_size, kSamplingOptionsV1Size);
        }
        std::memcpy(&o, opts, std::min(sizeof(o), static_cast<std::size_t>(opts->struct_size)));
    }
    if (!(o.temperature >= 0.0f) || !std::isfinite(o.temperature)) {
        return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                               "%s: temperature is %g; use 0 (greedy) or a finite value > 0", fn,
                               static_cast<double>(o.temperature));
    }
    if (o.top_k < 0) {
        return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: top_k is %d; use 0 (off) or >= 1",
                               fn, o.top_k);
    }
    if (!(o.top_p >= 0.0f && o.top_p <= 1.0f) || !(o.min_p >= 0.0f && o.min_p <= 1.0f)) {
        return moco::set_error(
            MOCO_ERR_INVALID_ARGUMENT,
            "%s: top_p %g and min_p %g must lie in [0, 1] (top_p 1 and min_p 0 are off)", fn,
            static_cast<double>(o.top_p), static_cast<double>(o.min_p));
    }
    if (!(o.repetition_penalty > 0.0f) || !std::isfinite(o.repetition_penalty)) {
        return moco::set_error(
            MOCO_ERR_INVALID_ARGUMENT,
            "%s: repetition_penalty is %g; it must be a finite value > 0 (1 is off)", fn,
            static_cast<double>(o.repetition_penalty));
    }
    config->temperature = o.temperature;
    config->top_k = o.top_k;
    config->top_p = o.top_p;
    config->min_p = o.min_p;
    config->repetition_penalty = o.repetition_penalty;
    return MOCO_OK;
}

moco_status validate_history(const char* fn, const int32_t* history, int n_history, int vocab) {
    if (n_history < 0 || (history == nullptr && n_history > 0)) {
        return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: n_history is %d with history %s",
                               fn, n_history, history == nullptr ? "NULL" : "set");
    }
    for (int i = 0; i < n_history; ++i) {
        if (history[i] < 0 || history[i] >= vocab) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: history[%d] = %d lies outside [0, vocab = %d)", fn, i,
                                   history[i], vocab);
        }
    }
    return MOCO_OK;
}

}  // namespace moco::kernels

extern "C" {

moco_sampling_options moco_sampling_default_options(void) {
    moco_sampling_options o;
    std::memset(&o, 0, sizeof(o));
    o.struct_size = static_cast<int>(sizeof(moco_sampling_options));
    o.temperature = 1.0f;
    o.top_k = 0;
    o.top_p = 1.0f;
    o.min_p = 0.0f;
    o.repetition_penalty = 1.0f;
    return o;
}

moco_status moco_sample(const float* logits, int vocab, const moco_sampling_options* opts,
                        const int32_t* history, int n_history, uint64_t seed,
                        uint64_t tokens_generated, uint64_t sample_index, float* processed,
                        int32_t* token) {
    return moco::guard("moco_sample", [&]() -> moco_status {
        const char* fn = "moco_sample";
        if (logits == nullptr || token == nullptr || vocab < 1) {
            return moco::set_error(
                MOCO_ERR_INVALID_ARGUMENT,
                "%s: logits and token must not be NULL and vocab (%d) must be >= 1", fn, vocab);
        }
        moco_status st = moco::kernels::validate_history(fn, history, n_history, vocab);
        if (st != MOCO_OK) return st;
        moco::kernels::SamplingConfig config;
        st = moco::kernels::read_sampling_options(fn, opts, &config);
        if (st != MOCO_OK) return st;
        const float u = moco::kernels::sampling_uniform(seed, tokens_generated, sample_index);
        return moco::kernels::sample(logits, vocab, config, history, n_history, u, processed,
                                     token);
    });
}

}  // extern "C"
