// Every invalid argument of the KV cache, sequence and forward entry points: the documented status,
// a message that names the argument, out pointers reset, and no state changed.
#include "tiny_model.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstddef>
#include <string>

namespace moco::test {
namespace {

::testing::AssertionResult error_mentions(const std::string& needle) {
    const std::string message = moco_last_error();
    if (message.find(needle) == std::string::npos) {
        return ::testing::AssertionFailure() << "\"" << needle << "\" not in: " << message;
    }
    return ::testing::AssertionSuccess();
}

TEST(KvCacheApi, DefaultOptions) {
    const moco_kv_cache_options o = moco_kv_cache_default_options();
    EXPECT_EQ(o.struct_size, static_cast<int>(sizeof(moco_kv_cache_options)));
    EXPECT_EQ(o.memory_bytes, 0u);
    EXPECT_EQ(o.block_tokens, 0);
    EXPECT_EQ(o.max_sequences, 0);
}

TEST(KvCacheApi, CreateRejectsBadArguments) {
    TinyModel tm(TinySpec{}, 90);
    moco_kv_cache* cache = reinterpret_cast<moco_kv_cache*>(0x1);
    EXPECT_EQ(moco_kv_cache_create(tm.model(), nullptr, nullptr), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(error_mentions("out is NULL"));
    EXPECT_EQ(moco_kv_cache_create(nullptr, nullptr, &cache), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(cache, nullptr);
    EXPECT_TRUE(error_mentions("model is NULL"));

    auto fails = [&](moco_kv_cache_options o, moco_status status, const char* needle) {
        moco_kv_cache* c = reinterpret_cast<moco_kv_cache*>(0x1);
        EXPECT_EQ(moco_kv_cache_create(tm.model(), &o, &c), status) << needle;
        EXPECT_EQ(c, nullptr);
        EXPECT_TRUE(error_mentions(needle));
    };
    moco_kv_cache_options o = moco_kv_cache_default_options();
    o.struct_size = static_cast<int>(offsetof(moco_kv_cache_options, max_sequences));
    fails(o, MOCO_ERR_INVALID_ARGUMENT, "struct_size");
    o = moco_kv_cache_default_options();
    o.block_tokens = -1;
    fails(o, MOCO_ERR_INVALID_ARGUMENT, "block_tokens is -1");
    o.block_tokens = 1025;
    fails(o, MOCO_ERR_INVALID_ARGUMENT, "block_tokens is 1025");
    o = moco_kv_cache_default_options();
    o.max_sequences = -3;
    fails(o, MOCO_ERR_INVALID_ARGUMENT, "max_sequences is -3");
    o.max_sequences = 65537;
    fails(o, MOCO_ERR_INVALID_ARGUMENT, "max_sequences is 65537");
    o = moco_kv_cache_default_options();
    o.memory_bytes = 100;  // a block of 16 tokens takes 2 * 2 * 2 * 16 * 16 * 4 = 8192 bytes
    fails(o, MOCO_ERR_INVALID_ARGUMENT, "below one block");
    o.memory_bytes = ~0ull;
    o.block_tokens = 1;
    fails(o, MOCO_ERR_INVALID_ARGUMENT, "blocks, more than");

    tm.model()->ctx->kind = MOCO_DEVICE_CUDA;
    tm.model()->ctx->device = "cuda:0";
    fails(moco_kv_cache_default_options(), MOCO_ERR_UNIMPLEMENTED, "cuda:0");
    tm.model()->ctx->kind = MOCO_DEVICE_CPU;
    tm.model()->ctx->device = "cpu";

    o = moco_kv_cache_default_options();
    o.memory_bytes = 8192;  // exactly one block
    ASSERT_EQ(moco_kv_cache_create(tm.model(), &o, &cache), MOCO_OK) << moco_last_error();
    moco_kv_cache_stats stats;
    stats.struct_size = sizeof(stats);
    ASSERT_EQ(moco_kv_cache_get_stats(cache, &stats), MOCO_OK);
    EXPECT_EQ(stats.total_blocks, 1);
    moco_kv_cache_destroy(cache);
    moco_kv_cache_destroy(nullptr);
}

TEST(KvCacheApi, StatsAndSequencesRejectBadArguments) {
    TinyModel tm(TinySpec{}, 91);
    Cache cache(tm.model());
    moco_kv_cache_stats stats;
    stats.struct_size = sizeof(stats);
    EXPECT_EQ(moco_kv_cache_get_stats(nullptr, &stats), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_kv_cache_get_stats(cache.get(), nullptr), MOCO_ERR_INVALID_ARGUMENT);
    stats.struct_size = 8;
    EXPECT_EQ(moco_kv_cache_get_stats(cache.get(), &stats), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(error_mentions("struct_size is 8"));

    int32_t id = 0;
    EXPECT_EQ(moco_seq_create(nullptr, &id), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_seq_create(cache.get(), nullptr), MOCO_ERR_INVALID_ARGUMENT);
    const int32_t seq = cache.create();
    cache.append(seq, {1, 2, 3}, MOCO_OUTPUT_NONE);

    EXPECT_EQ(moco_seq_fork(nullptr, seq, &id), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_seq_fork(cache.get(), seq, nullptr), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_seq_fork(cache.get(), 7, &id), MOCO_ERR_NOT_FOUND);
    EXPECT_TRUE(error_mentions("src 7 is not a live sequence"));
    EXPECT_EQ(moco_seq_fork(cache.get(), -1, &id), MOCO_ERR_NOT_FOUND);

    EXPECT_EQ(moco_seq_truncate(nullptr, seq, 0), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_seq_truncate(cache.get(), 9, 0), MOCO_ERR_NOT_FOUND);
    EXPECT_EQ(moco_seq_truncate(cache.get(), seq, -1), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_seq_truncate(cache.get(), seq, 4), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(error_mentions("has 3 tokens"));
    EXPECT_EQ(cache.length(seq), 3);

    int32_t n = 0;
    EXPECT_EQ(moco_seq_length(nullptr, seq, &n), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_seq_length(cache.get(), seq, nullptr), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_seq_length(cache.get(), 300, &n), MOCO_ERR_NOT_FOUND);

    EXPECT_EQ(moco_seq_free(nullptr, seq), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_seq_free(cache.get(), seq), MOCO_OK);
    EXPECT_EQ(moco_seq_free(cache.get(), seq), MOCO_ERR_NOT_FOUND);
    EXPECT_EQ(moco_seq_length(cache.get(), seq, &n), MOCO_ERR_NOT_FOUND);
}

class ForwardApi : public ::testing::Test {
protected:
    ForwardApi() : tm_(spec(), 92), cache_(tm_.model()) {
        a_ = cache_.create();
        b_ = cache_.create();
        cache_.append(a_, {5, 6}, MOCO_OUTPUT_NONE);
        logits_.resize(4 * static_cast<size_t>(tm_.output_size()));
        hidden_.resize(4 * static_cast<size_t>(spec().hidden));
    }
    static TinySpec spec() {
        TinySpec s;
        s.max_positions = 8;
        return s;
    }
    moco_batch_entry entry(int32_t seq) {
        moco_batch_entry e{};
        e.seq = seq;
        e.tokens = tokens_;
        e.n_tokens = 2;
        e.logits_mode = MOCO_OUTPUT_LAST;
        e.logits = logits_.data();
        return e;
    }
    // The call fails with `status`, the message holds `needle`, and no sequence changed.
    void fails(const moco_batch_entry* entries, int n, moco_status status, const char* needle) {
        EXPECT_EQ(moco_forward(cache_.get(), entries, n), status) << needle;
        EXPECT_TRUE(error_mentions(needle));
        EXPECT_EQ(cache_.length(a_), 2);
        EXPECT_EQ(cache_.length(b_), 0);
    }

    TinyModel tm_;
    Cache cache_;
    int32_t a_ = -1, b_ = -1;
    int32_t tokens_[4] = {1, 2, 3, 4};
    std::vector<float> logits_, hidden_;
};

TEST_F(ForwardApi, RejectsEveryInvalidArgument) {
    moco_batch_entry e[2] = {entry(a_), entry(b_)};
    EXPECT_EQ(moco_forward(nullptr, e, 1), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(error_mentions("cache is NULL"));
    fails(nullptr, 1, MOCO_ERR_INVALID_ARGUMENT, "entries is NULL");
    fails(e, 0, MOCO_ERR_INVALID_ARGUMENT, "n_entries is 0");

    e[1].seq = a_;
    fails(e, 2, MOCO_ERR_INVALID_ARGUMENT, "entries[1].seq 0 already appears");
    e[1].seq = 42;
    fails(e, 2, MOCO_ERR_NOT_FOUND, "entries[1].seq 42 is not a live sequence");
    e[1] = entry(b_);

    e[1].n_tokens = 0;
    fails(e, 2, MOCO_ERR_INVALID_ARGUMENT, "entries[1].n_tokens is 0");
    e[1] = entry(b_);
    e[1].tokens = nullptr;
    fails(e, 2, MOCO_ERR_INVALID_ARGUMENT, "entries[1].tokens is NULL");
    e[1] = entry(b_);

    int32_t bad[3] = {1, 83, 2};
    e[1].tokens = bad;
    e[1].n_tokens = 3;
    fails(e, 2, MOCO_ERR_INVALID_ARGUMENT, "entries[1].tokens[1] is 83, outside the vocabulary [0, 83)");
    bad[1] = -1;
    fails(e, 2, MOCO_ERR_INVALID_ARGUMENT, "entries[1].tokens[1] is -1");
    e[1] = entry(b_);

    e[0].logits_mode = 3;
    fails(e, 2, MOCO_ERR_INVALID_ARGUMENT, "logits_mode 3");
    e[0] = entry(a_);
    e[0].hidden_mode = -1;
    fails(e, 2, MOCO_ERR_INVALID_ARGUMENT, "hidden_mode -1");
    e[0] = entry(a_);
    e[0].logits = nullptr;
    fails(e, 2, MOCO_ERR_INVALID_ARGUMENT, "entries[0].logits is NULL");
    e[0] = entry(a_);
    e[0].hidden_mode = MOCO_OUTPUT_ALL;
    fails(e, 2, MOCO_ERR_INVALID_ARGUMENT, "entries[0].hidden is NULL");
    e[0] = entry(a_);

    TinyModel other(spec(), 93);
    e[1].adapter = other.make_adapter({kTargetQ}, 2, 1.0f, false, 94);
    fails(e, 2, MOCO_ERR_INVALID_ARGUMENT, "entries[1].adapter belongs to another model");
    e[1] = entry(b_);

    e[0].n_tokens = 4;  // 2 + 4 = 6 <= 8 fine; 2 + 7 is not
    int32_t seven[7] = {1, 1, 1, 1, 1, 1, 1};
    e[0].tokens = seven;
    e[0].n_tokens = 7;
    fails(e, 2, MOCO_ERR_INVALID_ARGUMENT, "length 9, beyond the model's max_position_embeddings (8)");

    e[0] = entry(a_);
    e[0].attend_prefix = -1;
    fails(e, 2, MOCO_ERR_INVALID_ARGUMENT, "entries[0].attend_prefix is -1");
    e[0].attend_prefix = 3;
    fails(e, 2, MOCO_ERR_INVALID_ARGUMENT, "entries[0].attend_prefix is 3; it must be 0 (causal) or "
                                           "at most the sequence's length before this call (2)");
    e[0] = entry(a_);
    e[1].attend_prefix = 1;
    fails(e, 2, MOCO_ERR_INVALID_ARGUMENT, "entries[1].attend_prefix is 1");
    e[1] = entry(b_);

    // A buffer with mode NONE is ignored, and the valid batch goes through.
    e[0] = entry(a_);
    e[1] = entry(b_);
    e[1].logits_mode = MOCO_OUTPUT_NONE;
    e[1].hidden = hidden_.data();
    ASSERT_EQ(moco_forward(cache_.get(), e, 2), MOCO_OK) << moco_last_error();
    EXPECT_EQ(cache_.length(a_), 4);
    EXPECT_EQ(cache_.length(b_), 2);
}

// With a sliding window of 5, a pad at position 7 after 3 text tokens would see keys 3..7 only:
// none of the prefix, so no key at all.
TEST(ForwardApiLimits, RejectsAnAttendPrefixOutsideTheSlidingWindow) {
    TinySpec spec;
    spec.sliding_window = 5;
    TinyModel tm(spec, 96);
    Cache cache(tm.model());
    const int32_t seq = cache.create();
    cache.append(seq, {1, 2, 3}, MOCO_OUTPUT_NONE);
    const int32_t pads[5] = {0, 0, 0, 0, 0};
    moco_batch_entry e{};
    e.seq = seq;
    e.tokens = pads;
    e.n_tokens = 5;
    e.attend_prefix = 3;
    EXPECT_EQ(moco_forward(cache.get(), &e, 1), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(error_mentions("entries[0] has attend_prefix 3 but its last position 7 keeps no key"));
    EXPECT_EQ(cache.length(seq), 3);
    e.n_tokens = 4;
    EXPECT_EQ(moco_forward(cache.get(), &e, 1), MOCO_OK) << moco_last_error();
    EXPECT_EQ(cache.length(seq), 7);
}

TEST(ForwardApiLimits, RejectsABatchTooLargeForOneCall) {
    TinySpec spec;
    spec.max_positions = 1 << 30;
    TinyModel tm(spec, 95);
    Cache cache(tm.model());
    // The widest row of this model is 2 * intermediate = 160 floats: INT_MAX / 160 tokens at most.
    const int limit = INT_MAX / 160;
    const std::vector<int32_t> tokens(static_cast<size_t>(limit) + 1, 0);
    moco_batch_entry e{};
    e.seq = cache.create();
    e.tokens = tokens.data();
    e.n_tokens = limit + 1;
    EXPECT_EQ(moco_forward(cache.get(), &e, 1), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(error_mentions("one call takes at most " + std::to_string(limit)));
    EXPECT_EQ(cache.length(e.seq), 0);
}

}  // namespace
}  // namespace moco::test
