// Sequences in the paged cache: fork (copy-on-write prefix sharing) and truncate equal independent
// sequences bit for bit; a fork's writes never reach its source; an exhausted cache and a NaN
// output both leave every sequence exactly as it was.
#include "cpu/kv_cache.h"
#include "tiny_model.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace moco::test {
namespace {

std::vector<int32_t> concat(std::vector<int32_t> a, const std::vector<int32_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// The logits of `tokens` appended to a fresh sequence holding `prefix` (an independent sequence).
std::vector<float> independent(moco_model* model, const std::vector<int32_t>& prefix,
                               const std::vector<int32_t>& tokens) {
    Cache cache(model);
    const int32_t seq = cache.create();
    if (!prefix.empty()) cache.append(seq, prefix, MOCO_OUTPUT_NONE);
    return cache.append(seq, tokens);
}

class SequenceTest : public ::testing::Test {
protected:
    SequenceTest() : tm_(spec(), 21) {}
    static TinySpec spec() {
        TinySpec s;
        s.architecture = "Qwen2ForCausalLM";
        s.attention_bias = true;
        return s;
    }
    std::vector<int32_t> tokens(int n, uint32_t seed) { return random_tokens(n, spec().vocab, seed); }
    TinyModel tm_;
};

TEST_F(SequenceTest, ForkEqualsIndependentSequences) {
    // Prefixes ending mid-block (shared partial block: copy-on-write) and on a block boundary.
    for (int prefix_len : {6, 8}) {
        Cache cache(tm_.model(), 4);
        const std::vector<int32_t> prefix = tokens(prefix_len, 30);
        const std::vector<int32_t> x = tokens(5, 31), y = tokens(3, 32);
        const int32_t src = cache.create();
        cache.append(src, prefix, MOCO_OUTPUT_NONE);
        const int32_t dst = cache.fork(src);
        EXPECT_EQ(cache.length(dst), prefix_len);

        // The fork continues first, then the source: each equals an independent sequence.
        EXPECT_TRUE(bits_equal(cache.append(dst, x), independent(tm_.model(), prefix, x)));
        EXPECT_TRUE(bits_equal(cache.append(src, y), independent(tm_.model(), prefix, y)));
        EXPECT_TRUE(bits_equal(cache.append(dst, y), independent(tm_.model(), concat(prefix, x), y)));
        EXPECT_TRUE(bits_equal(cache.append(src, x), independent(tm_.model(), concat(prefix, y), x)));
    }
}

TEST_F(SequenceTest, ForkSharesBlocksUntilWritten) {
    Cache cache(tm_.model(), 4);
    const int32_t src = cache.create();
    cache.append(src, tokens(10, 33), MOCO_OUTPUT_NONE);  // 3 blocks, the last half full
    const int free_before = cache.free_blocks();
    const int32_t dst = cache.fork(src);
    EXPECT_EQ(cache.free_blocks(), free_before) << "a fork copies nothing";
    cache.append(dst, tokens(1, 34), MOCO_OUTPUT_NONE);
    EXPECT_EQ(cache.free_blocks(), free_before - 1) << "the first write copies the shared last block";
    cache.append(src, tokens(1, 35), MOCO_OUTPUT_NONE);
    EXPECT_EQ(cache.free_blocks(), free_before - 1) << "the source owns its block alone again";
}

TEST_F(SequenceTest, BothSharersWritingInOneBatch) {
    Cache cache(tm_.model(), 4);
    const std::vector<int32_t> prefix = tokens(7, 36);
    const std::vector<int32_t> x = tokens(2, 37), y = tokens(4, 38);
    const int32_t a = cache.create();
    cache.append(a, prefix, MOCO_OUTPUT_NONE);
    const int32_t b = cache.fork(a);
    const int32_t c = cache.fork(a);
    const int out = tm_.output_size();
    std::vector<float> la(x.size() * out), lb(y.size() * out);
    moco_batch_entry e[2] = {};
    e[0].seq = a;
    e[0].tokens = x.data();
    e[0].n_tokens = 2;
    e[0].logits_mode = MOCO_OUTPUT_ALL;
    e[0].logits = la.data();
    e[1] = e[0];
    e[1].seq = b;
    e[1].tokens = y.data();
    e[1].n_tokens = 4;
    e[1].logits = lb.data();
    ASSERT_EQ(moco_forward(cache.get(), e, 2), MOCO_OK) << moco_last_error();
    EXPECT_TRUE(bits_equal(la, independent(tm_.model(), prefix, x)));
    EXPECT_TRUE(bits_equal(lb, independent(tm_.model(), prefix, y)));
    // The third sharer still sees the untouched prefix.
    EXPECT_TRUE(bits_equal(cache.append(c, x), independent(tm_.model(), prefix, x)));
}

TEST_F(SequenceTest, TruncateEqualsIndependentSequence) {
    Cache cache(tm_.model(), 4);
    const std::vector<int32_t> all = tokens(14, 40);
    const std::vector<int32_t> next = tokens(3, 41);
    for (int keep : {13, 9, 8, 1, 0}) {
        const int32_t seq = cache.create();
        cache.append(seq, all, MOCO_OUTPUT_NONE);
        ASSERT_EQ(moco_seq_truncate(cache.get(), seq, keep), MOCO_OK) << moco_last_error();
        EXPECT_EQ(cache.length(seq), keep);
        const std::vector<int32_t> prefix(all.begin(), all.begin() + keep);
        EXPECT_TRUE(bits_equal(cache.append(seq, next), independent(tm_.model(), prefix, next)))
            << "keep " << keep;
        ASSERT_EQ(moco_seq_free(cache.get(), seq), MOCO_OK);
    }
}

TEST_F(SequenceTest, TruncateAForkThenRewrite) {
    // Truncating a fork back into the shared region and writing there must copy, not overwrite.
    Cache cache(tm_.model(), 4);
    const std::vector<int32_t> prefix = tokens(12, 42);
    const std::vector<int32_t> x = tokens(4, 43), y = tokens(2, 44);
    const int32_t src = cache.create();
    cache.append(src, prefix, MOCO_OUTPUT_NONE);
    const int32_t dst = cache.fork(src);
    ASSERT_EQ(moco_seq_truncate(cache.get(), dst, 5), MOCO_OK);
    const std::vector<int32_t> kept(prefix.begin(), prefix.begin() + 5);
    EXPECT_TRUE(bits_equal(cache.append(dst, x), independent(tm_.model(), kept, x)));
    EXPECT_TRUE(bits_equal(cache.append(src, y), independent(tm_.model(), prefix, y)));
}

TEST_F(SequenceTest, TruncateAndFreeReturnBlocks) {
    Cache cache(tm_.model(), 4);
    const int total = cache.free_blocks();
    const int32_t seq = cache.create();
    cache.append(seq, tokens(13, 45), MOCO_OUTPUT_NONE);
    EXPECT_EQ(cache.free_blocks(), total - 4);
    ASSERT_EQ(moco_seq_truncate(cache.get(), seq, 8), MOCO_OK);
    EXPECT_EQ(cache.free_blocks(), total - 2);
    const int32_t fork = cache.fork(seq);
    ASSERT_EQ(moco_seq_free(cache.get(), seq), MOCO_OK);
    EXPECT_EQ(cache.free_blocks(), total - 2) << "the fork still holds the blocks";
    ASSERT_EQ(moco_seq_free(cache.get(), fork), MOCO_OK);
    EXPECT_EQ(cache.free_blocks(), total);
}

TEST_F(SequenceTest, ExhaustionFailsCleanlyAndChangesNothing) {
    // Room for 5 blocks of 4 tokens.
    const TinySpec s = spec();
    const uint64_t block_bytes = static_cast<uint64_t>(s.layers) * 2 * s.kv_heads * 4 * s.head_dim * 4;
    Cache cache(tm_.model(), 4, 5 * block_bytes + block_bytes / 2);
    const int32_t a = cache.create();
    const int32_t b = cache.create();
    const std::vector<int32_t> pa = tokens(12, 50), pb = tokens(12, 51), next = tokens(1, 52);
    cache.append(a, pa, MOCO_OUTPUT_NONE);  // 3 blocks
    ASSERT_EQ(cache.free_blocks(), 2);

    std::vector<float> logits(12 * static_cast<size_t>(tm_.output_size()));
    moco_batch_entry e[2] = {};
    e[0].seq = a;  // needs 1 block
    e[0].tokens = next.data();
    e[0].n_tokens = 1;
    e[0].logits_mode = MOCO_OUTPUT_LAST;
    e[0].logits = logits.data();
    e[1].seq = b;  // needs 3 blocks
    e[1].tokens = pb.data();
    e[1].n_tokens = 12;
    EXPECT_EQ(moco_forward(cache.get(), e, 2), MOCO_ERR_RESOURCE_EXHAUSTED);
    const std::string message = moco_last_error();
    EXPECT_NE(message.find("needs 4 free blocks"), std::string::npos) << message;
    EXPECT_NE(message.find("2 of 5 are free"), std::string::npos) << message;
    EXPECT_EQ(cache.length(a), 12);
    EXPECT_EQ(cache.length(b), 0);
    EXPECT_EQ(cache.free_blocks(), 2);

    // The cache works on as if the failed call never happened.
    EXPECT_TRUE(bits_equal(cache.append(a, next), independent(tm_.model(), pa, next)));
}

TEST_F(SequenceTest, NumericFailureRollsBackEverything) {
    TinyModel poisoned(spec(), 21);
    const int bad = spec().vocab - 1;
    poisoned.poison_token(bad);
    Cache cache(poisoned.model(), 4);
    std::vector<int32_t> prefix = tokens(6, 53);
    for (int32_t& t : prefix) t = t == bad ? 0 : t;
    const int32_t a = cache.create();
    cache.append(a, prefix, MOCO_OUTPUT_NONE);
    const int32_t b = cache.fork(a);  // shares a's half-full last block
    const int free_before = cache.free_blocks();

    const std::vector<int32_t> good = {1, 2, 3};
    const std::vector<int32_t> poison = {4, bad};
    const int out = poisoned.output_size();
    std::vector<float> la(3 * static_cast<size_t>(out)), lb(2 * static_cast<size_t>(out));
    moco_batch_entry e[2] = {};
    e[0].seq = a;
    e[0].tokens = good.data();
    e[0].n_tokens = 3;
    e[0].logits_mode = MOCO_OUTPUT_ALL;
    e[0].logits = la.data();
    e[1] = e[0];
    e[1].seq = b;
    e[1].tokens = poison.data();
    e[1].n_tokens = 2;
    e[1].logits = lb.data();
    EXPECT_EQ(moco_forward(cache.get(), e, 2), MOCO_ERR_NUMERIC);
    EXPECT_EQ(cache.length(a), 6);
    EXPECT_EQ(cache.length(b), 6);
    EXPECT_EQ(cache.free_blocks(), free_before);

    // Neither the shared block nor anything else was damaged.
    EXPECT_TRUE(bits_equal(cache.append(b, good), independent(tm_.model(), prefix, good)));
    EXPECT_TRUE(bits_equal(cache.append(a, good), independent(tm_.model(), prefix, good)));
}

TEST_F(SequenceTest, IdsAreReusedAndStatsAreReported) {
    Cache cache(tm_.model(), 8, 0, 3);
    moco_kv_cache_stats stats;
    stats.struct_size = sizeof(stats);
    ASSERT_EQ(moco_kv_cache_get_stats(cache.get(), &stats), MOCO_OK);
    EXPECT_EQ(stats.block_tokens, 8);
    EXPECT_EQ(stats.total_blocks, 8192 / 8);  // the default budget: room for 8192 tokens
    EXPECT_EQ(stats.free_blocks, stats.total_blocks);
    EXPECT_EQ(stats.sequences, 0);
    const TinySpec s = spec();
    EXPECT_EQ(stats.memory_bytes, static_cast<uint64_t>(stats.total_blocks) * s.layers * 2 * s.kv_heads * 8 *
                                      s.head_dim * sizeof(float));

    EXPECT_EQ(cache.create(), 0);
    EXPECT_EQ(cache.create(), 1);
    EXPECT_EQ(cache.fork(0), 2);
    int32_t id = -1;
    EXPECT_EQ(moco_seq_create(cache.get(), &id), MOCO_ERR_RESOURCE_EXHAUSTED);
    EXPECT_EQ(moco_seq_fork(cache.get(), 0, &id), MOCO_ERR_RESOURCE_EXHAUSTED);
    ASSERT_EQ(moco_seq_free(cache.get(), 1), MOCO_OK);
    EXPECT_EQ(cache.create(), 1);
    ASSERT_EQ(moco_kv_cache_get_stats(cache.get(), &stats), MOCO_OK);
    EXPECT_EQ(stats.sequences, 3);
}

// A cache whose blocks live elsewhere (the CUDA backend's, on the GPU): the tables behave the same,
// and the copy-on-write copies are handed to the owner of the data in the transaction.
TEST(KvCacheStorage, ExternalStorageRecordsCopiesInsteadOfCopying) {
    const cpu::KvGeometry g{1, 1, 2, 4};
    cpu::KvCache host(g, 8, 2);
    cpu::KvCache external(g, 8, 2, cpu::KvCache::Storage::External);
    std::vector<int> tables[2];
    std::vector<cpu::KvCache::BlockCopy> copies[2];
    int k = 0;
    for (cpu::KvCache* kv : {&host, &external}) {
        const int a = kv->create();
        cpu::KvCache::Transaction tx;
        kv->begin({{a, 6}}, tx);  // blocks 0 and 1, the second half full
        kv->commit(tx);
        const int b = kv->fork(a);
        kv->begin({{b, 1}}, tx);
        copies[k] = tx.copies;
        kv->commit(tx);
        tables[k] = kv->blocks(b);
        ++k;
    }
    EXPECT_EQ(tables[0], tables[1]);
    EXPECT_TRUE(copies[0].empty());
    ASSERT_EQ(copies[1].size(), 1u);
    EXPECT_EQ(copies[1][0].from, external.blocks(0).back());
    EXPECT_EQ(copies[1][0].to, tables[1].back());
    EXPECT_NE(copies[1][0].from, copies[1][0].to);
}

}  // namespace
}  // namespace moco::test
