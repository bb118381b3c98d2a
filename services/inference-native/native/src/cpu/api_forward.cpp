// moco_forward and moco_forward_sample: validate the whole batch (and the draws), take the KV
// blocks it needs, run the forward, draw, and commit - or roll everything back, so a failed call
// changes no sequence (moco.h).
#include "common.h"
#include "context.h"
#include "cpu/kv_cache_handle.h"
#include "kernels/philox.h"
#include "kernels/sampling.h"
#include "moco_config.h"

#if MOCO_HAVE_CUDA
#    include "cuda/backend.h"
#endif

#include <algorithm>
#include <climits>
#include <iterator>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

const char* const kFn = "moco_forward";

moco_status invalid(const char* fmt, int entry, long long a = 0, long long b = 0) {
    return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, fmt, kFn, entry, a, b);
}

bool valid_mode(int mode) {
    return mode == MOCO_OUTPUT_NONE || mode == MOCO_OUTPUT_LAST || mode == MOCO_OUTPUT_ALL;
}

// Checks entry i against the cache and the model; on success fills `out`.
moco_status check_entry(const moco_kv_cache& cache, const moco_batch_entry& e, int i,
                        moco::cpu::ForwardEntry& out) {
    const moco::ModelConfig& c = cache.model->config;
    if (!cache.kv.live(e.seq)) {
        return moco::set_error(MOCO_ERR_NOT_FOUND,
                               "%s: entries[%d].seq %d is not a live sequence of this cache", kFn, i,
                               static_cast<int>(e.seq));
    }
    if (e.n_tokens < 1) {
        return invalid("%s: entries[%d].n_tokens is %lld; every entry appends at least one token", i,
                       e.n_tokens);
    }
    if (e.tokens == nullptr) {
        return invalid("%s: entries[%d].tokens is NULL; pass n_tokens token ids", i);
    }
    for (int t = 0; t < e.n_tokens; ++t) {
        if (e.tokens[t] < 0 || e.tokens[t] >= c.vocab_size) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: entries[%d].tokens[%d] is %d, outside the vocabulary "
                                   "[0, %d)", kFn, i, t, static_cast<int>(e.tokens[t]), c.vocab_size);
        }
    }
    if (!valid_mode(e.logits_mode) || !valid_mode(e.hidden_mode)) {
        return invalid("%s: entries[%d] has logits_mode %lld / hidden_mode %lld; each must be "
                       "MOCO_OUTPUT_NONE (0), MOCO_OUTPUT_LAST (1) or MOCO_OUTPUT_ALL (2)", i,
                       e.logits_mode, e.hidden_mode);
    }
    if (e.logits_mode != MOCO_OUTPUT_NONE && e.logits == nullptr) {
        return invalid("%s: entries[%d].logits is NULL but logits_mode asks for logits", i);
    }
    if (e.hidden_mode != MOCO_OUTPUT_NONE && e.hidden == nullptr) {
        return invalid("%s: entries[%d].hidden is NULL but hidden_mode asks for hidden states", i);
    }
    if (e.adapter != nullptr && e.adapter->model != cache.model) {
        return invalid("%s: entries[%d].adapter belongs to another model; load it with "
                       "moco_adapter_load on the cache's model", i);
    }
    const int start = cache.kv.length(e.seq);
    if (static_cast<long long>(start) + e.n_tokens > c.max_position_embeddings) {
        return invalid("%s: entries[%d] would make sequence length %lld, beyond the model's "
                       "max_position_embeddings (%lld); truncate or free the sequence", i,
                       static_cast<long long>(start) + e.n_tokens, c.max_position_embeddings);
    }
    if (e.attend_prefix < 0 || e.attend_prefix > start) {
        return invalid("%s: entries[%d].attend_prefix is %lld; it must be 0 (causal) or at most the "
                       "sequence's length before this call (%lld)", i, e.attend_prefix, start);
    }
    // Under a sliding window the last new token sees keys from last - window + 1 on; with none of
    // the prefix among them its softmax would have no key at all.
    const int last = start + e.n_tokens - 1;
    if (e.attend_prefix > 0 && c.sliding_window > 0 && last - c.sliding_window + 1 >= e.attend_prefix) {
        return invalid("%s: entries[%d] has attend_prefix %lld but its last position %lld keeps no "
                       "key of that prefix inside the sliding window; append fewer tokens", i,
                       e.attend_prefix, last);
    }
    out.seq = e.seq;
    out.tokens = e.tokens;
    out.n_tokens = e.n_tokens;
    out.start = start;
    out.lora = e.adapter != nullptr ? e.adapter->prepared.get() : nullptr;
    out.lora_scale = e.adapter != nullptr ? e.adapter->scale : 0.0f;
    out.lora_device = e.adapter != nullptr ? e.adapter->device.get() : nullptr;
    out.logits_mode = e.logits_mode;
    out.logits = e.logits_mode != MOCO_OUTPUT_NONE ? e.logits : nullptr;
    out.hidden_mode = e.hidden_mode;
    out.hidden = e.hidden_mode != MOCO_OUTPUT_NONE ? e.hidden : nullptr;
    out.attend_prefix = e.attend_prefix;
    return MOCO_OK;
}

// The most new tokens one call may hold: the forward indexes its row-major buffers with int, so
// rows times the widest row must stay below INT_MAX.
int max_batch_tokens(const moco_model& model) {
    const moco::ModelConfig& c = model.config;
    const int widths[] = {c.hidden_size, (c.num_heads + 2 * c.num_kv_heads) * c.head_dim,
                          2 * c.intermediate_size, moco::output_size(c)};
    return INT_MAX / *std::max_element(std::begin(widths), std::end(widths));
}

using moco::cpu::ForwardDraws;

const char* const kSampleFn = "moco_forward_sample";

moco_status check_draws(const moco_kv_cache& cache, int n_entries, ForwardDraws& d) {
    const moco::ModelConfig& c = cache.model->config;
    if (d.requests == nullptr || d.tokens == nullptr) {
        return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                               "%s: requests and tokens must not be NULL; pass n_entries of each", kSampleFn);
    }
    if (c.classifier) {
        return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                               "%s: the model is a sequence classifier (%s), which has no next token; "
                               "use moco_forward for its scores", kSampleFn, c.architecture.c_str());
    }
    d.configs.resize(static_cast<size_t>(n_entries));
    for (int i = 0; i < n_entries; ++i) {
        const moco_sample_request& r = d.requests[i];
        d.tokens[i] = -1;
        if (r.draw == 0) {
            continue;
        }
        const std::string fn = std::string(kSampleFn) + ": requests[" + std::to_string(i) + "]";
        moco_status st = moco::kernels::read_sampling_options(fn.c_str(), &r.options, &d.configs[static_cast<size_t>(i)]);
        if (st == MOCO_OK) {
            st = moco::kernels::validate_history(fn.c_str(), r.history, r.n_history, c.vocab_size);
        }
        if (st != MOCO_OK) {
            return st;
        }
    }
    return MOCO_OK;
}

// Draws on the CPU from each drawn entry's last logits row (the forward has written it: the
// caller's buffer, or `own` where the entry asked for no logits).
moco_status draw_on_cpu(const std::vector<moco::cpu::ForwardEntry>& batch, int vocab, const ForwardDraws& d) {
    for (size_t i = 0; i < batch.size(); ++i) {
        const moco_sample_request& r = d.requests[i];
        if (r.draw == 0) {
            continue;
        }
        const moco::cpu::ForwardEntry& e = batch[i];
        const int rows = moco::cpu::output_rows(e.logits_mode, e.n_tokens);
        const float* last = e.logits + static_cast<int64_t>(rows - 1) * vocab;
        const float u = moco::kernels::sampling_uniform(r.seed, r.tokens_generated, r.sample_index);
        const moco_status st = moco::kernels::sample(last, vocab, d.configs[i], r.history, r.n_history, u,
                                                     r.processed, &d.tokens[i]);
        if (st != MOCO_OK) {
            const std::string why = moco_last_error();
            return moco::set_error(st, "%s: requests[%zu]: %s", kSampleFn, i, why.c_str());
        }
    }
    return MOCO_OK;
}

moco_status run_forward(moco_kv_cache* cache, const moco_batch_entry* entries, int n_entries, ForwardDraws* draws) {
    if (cache == nullptr) {
        return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                               "%s: cache is NULL; pass a cache from moco_kv_cache_create", kFn);
    }
    if (entries == nullptr || n_entries < 1) {
        return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                               "%s: entries is %s and n_entries is %d; pass at least one entry",
                               kFn, entries == nullptr ? "NULL" : "set", n_entries);
    }
    std::vector<moco::cpu::ForwardEntry> batch(static_cast<size_t>(n_entries));
    std::vector<moco::cpu::KvCache::Growth> growth(static_cast<size_t>(n_entries));
    std::unordered_set<int32_t> seen;
    long long total_tokens = 0;
    for (int i = 0; i < n_entries; ++i) {
        const moco_status status = check_entry(*cache, entries[i], i, batch[static_cast<size_t>(i)]);
        if (status != MOCO_OK) {
            return status;
        }
        if (!seen.insert(entries[i].seq).second) {
            return invalid("%s: entries[%d].seq %lld already appears in an earlier entry; a "
                           "sequence may appear once per call", i, entries[i].seq);
        }
        growth[static_cast<size_t>(i)] = {entries[i].seq, entries[i].n_tokens};
        total_tokens += entries[i].n_tokens;
    }
    if (draws != nullptr) {
        const moco_status status = check_draws(*cache, n_entries, *draws);
        if (status != MOCO_OK) {
            return status;
        }
    }

    const int max_tokens = max_batch_tokens(*cache->model);
    if (total_tokens > max_tokens) {
        return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                               "%s: the batch appends %lld tokens; one call takes at most %d for "
                               "this model (its row buffers are indexed with int); split it",
                               kFn, total_tokens, max_tokens);
    }

    moco::cpu::KvCache& kv = cache->kv;
    const int needed = kv.blocks_needed(growth);
    if (needed > kv.free_blocks()) {
        return moco::set_error(MOCO_ERR_RESOURCE_EXHAUSTED,
                               "%s: the KV cache is exhausted: this batch needs %d free blocks of "
                               "%d tokens but %d of %d are free; free or truncate sequences, or "
                               "create the cache with a larger memory_bytes",
                               kFn, needed, kv.geometry().block_tokens, kv.free_blocks(),
                               kv.total_blocks());
    }
    const int vocab = cache->model->config.vocab_size;
    // A drawn entry that asked for no logits still needs its last row: the GPU keeps it on the
    // device (sample_last); the CPU writes it to a buffer of its own.
    std::vector<std::vector<float>> own_rows;
    if (draws != nullptr) {
        for (size_t i = 0; i < batch.size(); ++i) {
            moco::cpu::ForwardEntry& e = batch[i];
            if (draws->requests[i].draw == 0 || e.logits_mode != MOCO_OUTPUT_NONE) {
                continue;
            }
            if (cache->device != nullptr) {
                e.sample_last = true;
            } else {
                own_rows.emplace_back(static_cast<size_t>(vocab));
                e.logits_mode = MOCO_OUTPUT_LAST;
                e.logits = own_rows.back().data();
            }
        }
    }
    moco::cpu::KvCache::Transaction& tx = cache->transaction;
    kv.begin(growth, tx);
    bool finite = false;
    try {
#if MOCO_HAVE_CUDA
        if (cache->device != nullptr) {
            const moco_status status = moco::cuda::forward(*cache, batch, tx, draws, &finite);
            if (status != MOCO_OK) {
                kv.rollback(tx);
                return status;
            }
        } else
#endif
        {
            moco::cpu::HostCompute::Lease lease(*cache->model->ctx->compute);
            finite = moco::cpu::forward(*cache->model, kv, lease.pool(), cache->workspace, batch);
        }
        if (finite && draws != nullptr && cache->device == nullptr) {
            const moco_status status = draw_on_cpu(batch, vocab, *draws);
            if (status != MOCO_OK) {
                kv.rollback(tx);
                return status;
            }
        }
    } catch (...) {
        kv.rollback(tx);
        throw;
    }
    if (!finite) {
        kv.rollback(tx);
        return moco::set_error(MOCO_ERR_NUMERIC,
                               "%s: NaN or Inf in the outputs; no sequence was changed (check "
                               "the weights: an overflowing F16 checkpoint is the usual cause)",
                               kFn);
    }
    kv.commit(tx);
    return MOCO_OK;
}

}  // namespace

extern "C" moco_status moco_forward(moco_kv_cache* cache, const moco_batch_entry* entries,
                                    int n_entries) {
    return moco::guard(kFn, [&]() -> moco_status { return run_forward(cache, entries, n_entries, nullptr); });
}

extern "C" moco_status moco_forward_sample(moco_kv_cache* cache, const moco_batch_entry* entries,
                                           int n_entries, const moco_sample_request* requests,
                                           int32_t* tokens) {
    return moco::guard(kSampleFn, [&]() -> moco_status {
        ForwardDraws draws;
        draws.requests = requests;
        draws.tokens = tokens;
        return run_forward(cache, entries, n_entries, &draws);
    });
}
