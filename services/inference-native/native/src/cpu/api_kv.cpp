// The C entry points of the KV cache and its sequences (moco.h, "KV cache and sequences").
#include "common.h"
#include "context.h"
#include "cpu/kv_cache_handle.h"
#include "moco_config.h"

#if MOCO_HAVE_CUDA
#    include "cuda/backend.h"
#endif

#include <climits>
#include <cstddef>
#include <cstring>
#include <memory>

namespace {

// The first published layouts end after these fields; callers compiled against them pass at least
// these sizes.
constexpr int kKvOptionsV1Size =
    static_cast<int>(offsetof(moco_kv_cache_options, max_sequences) + sizeof(int));
constexpr int kKvStatsV1Size =
    static_cast<int>(offsetof(moco_kv_cache_stats, memory_bytes) + sizeof(uint64_t));

constexpr int kDefaultBlockTokens = 16;
constexpr int kMaxBlockTokens = 1024;
constexpr int kDefaultBudgetTokens = 8192;
constexpr int kDefaultMaxSequences = 256;
constexpr int kMaxSequences = 65536;

moco_status null_cache(const char* fn) {
    return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                           "%s: cache is NULL; pass a cache from moco_kv_cache_create", fn);
}

moco_status unknown_seq(const char* fn, const char* arg, int32_t seq) {
    return moco::set_error(MOCO_ERR_NOT_FOUND,
                           "%s: %s %d is not a live sequence of this cache (ids come from "
                           "moco_seq_create / moco_seq_fork and die with moco_seq_free)",
                           fn, arg, static_cast<int>(seq));
}

moco_status too_many_sequences(const char* fn, const moco_kv_cache& cache) {
    return moco::set_error(MOCO_ERR_RESOURCE_EXHAUSTED,
                           "%s: all %d sequences of this cache are live (max_sequences); free one "
                           "with moco_seq_free or create the cache with a larger max_sequences",
                           fn, cache.kv.max_sequences());
}

}  // namespace

extern "C" {

moco_kv_cache_options moco_kv_cache_default_options(void) {
    moco_kv_cache_options opts;
    std::memset(&opts, 0, sizeof(opts));
    opts.struct_size = static_cast<int>(sizeof(moco_kv_cache_options));
    opts.memory_bytes = 0;   // room for kDefaultBudgetTokens tokens
    opts.block_tokens = 0;   // kDefaultBlockTokens
    opts.max_sequences = 0;  // kDefaultMaxSequences
    return opts;
}

moco_status moco_kv_cache_create(moco_model* model, const moco_kv_cache_options* opts,
                                 moco_kv_cache** out) {
    return moco::guard("moco_kv_cache_create", [&]() -> moco_status {
        const char* fn = "moco_kv_cache_create";
        if (out == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: out is NULL; pass the address of "
                                   "a moco_kv_cache* that receives the new cache", fn);
        }
        *out = nullptr;
        if (model == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: model is NULL; pass a model from moco_model_load", fn);
        }
        if (model->ctx == nullptr || (model->prepared == nullptr && model->device == nullptr)) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: model is not a loaded model; pass one from moco_model_load", fn);
        }
        const bool on_cuda = model->ctx->kind == MOCO_DEVICE_CUDA;
        if (on_cuda && (!MOCO_HAVE_CUDA || model->device == nullptr)) {
            return moco::set_error(MOCO_ERR_UNIMPLEMENTED,
                                   "%s: the model is on %s but has no weights there (this libmoco %s); "
                                   "load the model with moco_model_load on a \"cpu\" context, or on a "
                                   "CUDA context of a libmoco built with MOCO_CUDA=ON", fn,
                                   model->ctx->device.c_str(),
                                   MOCO_HAVE_CUDA ? "has a CUDA backend, but the model was not "
                                                    "loaded through it"
                                                  : "has no CUDA backend");
        }
        moco_kv_cache_options o = moco_kv_cache_default_options();
        if (opts != nullptr) {
            if (opts->struct_size < kKvOptionsV1Size) {
                return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                       "%s: options.struct_size is %d but must be at least %d; set it "
                                       "to sizeof(moco_kv_cache_options) (%d in this build) or start "
                                       "from moco_kv_cache_default_options()",
                                       fn, opts->struct_size, kKvOptionsV1Size,
                                       static_cast<int>(sizeof(moco_kv_cache_options)));
            }
            o.memory_bytes = opts->memory_bytes;
            o.block_tokens = opts->block_tokens;
            o.max_sequences = opts->max_sequences;
        }
        if (o.block_tokens < 0 || o.block_tokens > kMaxBlockTokens) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: block_tokens is %d; use 0 (the "
                                   "default, %d) or 1..%d", fn, o.block_tokens, kDefaultBlockTokens,
                                   kMaxBlockTokens);
        }
        if (o.max_sequences < 0 || o.max_sequences > kMaxSequences) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: max_sequences is %d; use 0 (the "
                                   "default, %d) or 1..%d", fn, o.max_sequences, kDefaultMaxSequences,
                                   kMaxSequences);
        }
        const moco::ModelConfig& c = model->config;
        moco::cpu::KvGeometry geometry;
        geometry.layers = c.num_layers;
        geometry.kv_heads = c.num_kv_heads;
        geometry.head_dim = c.head_dim;
        geometry.block_tokens = o.block_tokens == 0 ? kDefaultBlockTokens : o.block_tokens;
        const uint64_t block_bytes = static_cast<uint64_t>(geometry.floats_per_block()) * sizeof(float);
        const uint64_t blocks = o.memory_bytes == 0
                                    ? (kDefaultBudgetTokens + geometry.block_tokens - 1) / geometry.block_tokens
                                    : o.memory_bytes / block_bytes;
        if (blocks < 1) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: memory_bytes %llu is below one block: a block of %d tokens "
                                   "takes %llu bytes for this model (K and V, %d layers, float32); "
                                   "raise memory_bytes or lower block_tokens",
                                   fn, static_cast<unsigned long long>(o.memory_bytes),
                                   geometry.block_tokens, static_cast<unsigned long long>(block_bytes),
                                   c.num_layers);
        }
        if (blocks > static_cast<uint64_t>(INT_MAX)) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: memory_bytes %llu makes %llu blocks, more than %d; lower it "
                                   "or raise block_tokens", fn,
                                   static_cast<unsigned long long>(o.memory_bytes),
                                   static_cast<unsigned long long>(blocks), INT_MAX);
        }
        const int max_sequences = o.max_sequences == 0 ? kDefaultMaxSequences : o.max_sequences;
        auto cache = std::make_unique<moco_kv_cache>(
            model, geometry, static_cast<int>(blocks), max_sequences,
            on_cuda ? moco::cpu::KvCache::Storage::External : moco::cpu::KvCache::Storage::Host);
#if MOCO_HAVE_CUDA
        if (on_cuda) {
            const moco_status status = moco::cuda::create_cache(*cache);
            if (status != MOCO_OK) {
                return status;
            }
        }
#endif
        *out = cache.release();
        return MOCO_OK;
    });
}

moco_status moco_kv_cache_get_stats(const moco_kv_cache* cache, moco_kv_cache_stats* stats) {
    return moco::guard("moco_kv_cache_get_stats", [&]() -> moco_status {
        const char* fn = "moco_kv_cache_get_stats";
        if (cache == nullptr) {
            return null_cache(fn);
        }
        if (stats == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: stats is NULL", fn);
        }
        if (stats->struct_size < kKvStatsV1Size) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: stats.struct_size is %d but must be at least %d; set it to "
                                   "sizeof(moco_kv_cache_stats) (%d in this build)",
                                   fn, stats->struct_size, kKvStatsV1Size,
                                   static_cast<int>(sizeof(moco_kv_cache_stats)));
        }
        // Every v1 field lies within kKvStatsV1Size; later fields must check struct_size.
        const moco::cpu::KvCache& kv = cache->kv;
        stats->block_tokens = kv.geometry().block_tokens;
        stats->total_blocks = kv.total_blocks();
        stats->free_blocks = kv.free_blocks();
        stats->sequences = kv.live_sequences();
        stats->memory_bytes = static_cast<uint64_t>(kv.total_blocks()) *
                              static_cast<uint64_t>(kv.geometry().floats_per_block()) * sizeof(float);
        return MOCO_OK;
    });
}

void moco_kv_cache_destroy(moco_kv_cache* cache) {
    delete cache;  // joins the pool's workers; NULL-safe
}

moco_status moco_seq_create(moco_kv_cache* cache, int32_t* seq) {
    return moco::guard("moco_seq_create", [&]() -> moco_status {
        const char* fn = "moco_seq_create";
        if (cache == nullptr) {
            return null_cache(fn);
        }
        if (seq == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: seq is NULL; pass the address of "
                                   "an int32_t that receives the id", fn);
        }
        const int id = cache->kv.create();
        if (id < 0) {
            return too_many_sequences(fn, *cache);
        }
        *seq = id;
        return MOCO_OK;
    });
}

moco_status moco_seq_fork(moco_kv_cache* cache, int32_t src, int32_t* dst) {
    return moco::guard("moco_seq_fork", [&]() -> moco_status {
        const char* fn = "moco_seq_fork";
        if (cache == nullptr) {
            return null_cache(fn);
        }
        if (dst == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: dst is NULL; pass the address of "
                                   "an int32_t that receives the new id", fn);
        }
        if (!cache->kv.live(src)) {
            return unknown_seq(fn, "src", src);
        }
        const int id = cache->kv.fork(src);
        if (id < 0) {
            return too_many_sequences(fn, *cache);
        }
        *dst = id;
        return MOCO_OK;
    });
}

moco_status moco_seq_truncate(moco_kv_cache* cache, int32_t seq, int32_t n_tokens) {
    return moco::guard("moco_seq_truncate", [&]() -> moco_status {
        const char* fn = "moco_seq_truncate";
        if (cache == nullptr) {
            return null_cache(fn);
        }
        if (!cache->kv.live(seq)) {
            return unknown_seq(fn, "seq", seq);
        }
        const int length = cache->kv.length(seq);
        if (n_tokens < 0 || n_tokens > length) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: n_tokens is %d but sequence %d has %d tokens; pass 0..%d",
                                   fn, static_cast<int>(n_tokens), static_cast<int>(seq), length, length);
        }
        cache->kv.truncate(seq, n_tokens);
        return MOCO_OK;
    });
}

moco_status moco_seq_free(moco_kv_cache* cache, int32_t seq) {
    return moco::guard("moco_seq_free", [&]() -> moco_status {
        const char* fn = "moco_seq_free";
        if (cache == nullptr) {
            return null_cache(fn);
        }
        if (!cache->kv.live(seq)) {
            return unknown_seq(fn, "seq", seq);
        }
        cache->kv.free(seq);
        return MOCO_OK;
    });
}

moco_status moco_seq_length(const moco_kv_cache* cache, int32_t seq, int32_t* n_tokens) {
    return moco::guard("moco_seq_length", [&]() -> moco_status {
        const char* fn = "moco_seq_length";
        if (cache == nullptr) {
            return null_cache(fn);
        }
        if (n_tokens == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: n_tokens is NULL; pass the "
                                   "address of an int32_t that receives the length", fn);
        }
        if (!cache->kv.live(seq)) {
            return unknown_seq(fn, "seq", seq);
        }
        *n_tokens = cache->kv.length(seq);
        return MOCO_OK;
    });
}

}  // extern "C"
