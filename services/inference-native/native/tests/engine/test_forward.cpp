// The forward pass over every family feature: agreement with a naive double-precision reference,
// and the determinism properties (bit for bit): KV-cached decoding equals a full recompute, a batch
// equals each sequence alone, prefill chunking and the thread count change nothing.
#include "tiny_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace moco::test {
namespace {

class FamilyTest : public ::testing::TestWithParam<TinySpec> {};

std::string spec_name(const ::testing::TestParamInfo<TinySpec>& info) {
    return info.param.name;
}

std::vector<int32_t> first(const std::vector<int32_t>& v, size_t n) {
    return std::vector<int32_t>(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
}

std::vector<float> rows(const std::vector<float>& m, int width, int from, int count) {
    return std::vector<float>(m.begin() + static_cast<std::ptrdiff_t>(from) * width,
                              m.begin() + static_cast<std::ptrdiff_t>(from + count) * width);
}

TEST_P(FamilyTest, MatchesNaiveReference) {
    TinyModel tm(GetParam(), 1);
    Cache cache(tm.model());
    const int out = tm.output_size();
    const int H = GetParam().hidden;
    const std::vector<int32_t> a = random_tokens(13, GetParam().vocab, 2);
    const std::vector<int32_t> b = random_tokens(6, GetParam().vocab, 3);

    // Both sequences in one call, every position's logits and hidden states.
    std::vector<float> logits_a(a.size() * out), logits_b(b.size() * out);
    std::vector<float> hidden_a(a.size() * H), hidden_b(b.size() * H);
    moco_batch_entry e[2] = {};
    e[0].seq = cache.create();
    e[0].tokens = a.data();
    e[0].n_tokens = static_cast<int32_t>(a.size());
    e[0].logits_mode = MOCO_OUTPUT_ALL;
    e[0].logits = logits_a.data();
    e[0].hidden_mode = MOCO_OUTPUT_ALL;
    e[0].hidden = hidden_a.data();
    e[1] = e[0];
    e[1].seq = cache.create();
    e[1].tokens = b.data();
    e[1].n_tokens = static_cast<int32_t>(b.size());
    e[1].logits = logits_b.data();
    e[1].hidden = hidden_b.data();
    ASSERT_EQ(moco_forward(cache.get(), e, 2), MOCO_OK) << moco_last_error();

    const Reference ref_a = reference_forward(GetParam(), tm.weights(), a);
    const Reference ref_b = reference_forward(GetParam(), tm.weights(), b);
    EXPECT_LT(relative_error(logits_a, ref_a.logits), 1e-5);
    EXPECT_LT(relative_error(logits_b, ref_b.logits), 1e-5);
    EXPECT_LT(relative_error(hidden_a, ref_a.hidden), 1e-5);
    EXPECT_LT(relative_error(hidden_b, ref_b.hidden), 1e-5);
}

TEST_P(FamilyTest, DecodeWithKvCacheEqualsFullRecompute) {
    TinyModel tm(GetParam(), 4);
    Cache cache(tm.model());
    const int out = tm.output_size();
    const int H = GetParam().hidden;
    const std::vector<int32_t> tokens = random_tokens(11, GetParam().vocab, 5);

    std::vector<float> all_hidden;
    const std::vector<float> all = cache.append(cache.create(), tokens, MOCO_OUTPUT_ALL, nullptr, &all_hidden);

    const int32_t seq = cache.create();
    cache.append(seq, first(tokens, 3), MOCO_OUTPUT_NONE);
    for (size_t i = 3; i < tokens.size(); ++i) {
        std::vector<float> hidden;
        const std::vector<float> step = cache.append(seq, {tokens[i]}, MOCO_OUTPUT_LAST, nullptr, &hidden);
        EXPECT_TRUE(bits_equal(step, rows(all, out, static_cast<int>(i), 1))) << "position " << i;
        EXPECT_TRUE(bits_equal(hidden, rows(all_hidden, H, static_cast<int>(i), 1))) << "position " << i;
    }
    EXPECT_EQ(cache.length(seq), static_cast<int32_t>(tokens.size()));
}

TEST_P(FamilyTest, BatchOfMixedLengthsEqualsEachSequenceAlone) {
    TinyModel tm(GetParam(), 6);
    const int out = tm.output_size();
    const int vocab = GetParam().vocab;
    const std::vector<int> lengths = {1, 9, 4, 17, 2};
    std::vector<std::vector<int32_t>> prompts, continuations;
    for (size_t i = 0; i < lengths.size(); ++i) {
        prompts.push_back(random_tokens(lengths[i], vocab, 100 + static_cast<uint32_t>(i)));
        continuations.push_back(random_tokens(1 + static_cast<int>(i % 3), vocab, 200 + static_cast<uint32_t>(i)));
    }

    // Alone: each sequence in its own cache.
    std::vector<std::vector<float>> alone_prefill, alone_step;
    for (size_t i = 0; i < lengths.size(); ++i) {
        Cache cache(tm.model());
        const int32_t seq = cache.create();
        alone_prefill.push_back(cache.append(seq, prompts[i]));
        alone_step.push_back(cache.append(seq, continuations[i]));
    }

    // Together: one call prefills all, a second one continues all (different lengths in both).
    Cache cache(tm.model());
    std::vector<int32_t> seqs;
    for (size_t i = 0; i < lengths.size(); ++i) seqs.push_back(cache.create());
    for (const auto* phase : {&prompts, &continuations}) {
        std::vector<std::vector<float>> logits;
        std::vector<moco_batch_entry> entries;
        for (size_t i = 0; i < lengths.size(); ++i) {
            logits.emplace_back((*phase)[i].size() * out);
        }
        for (size_t i = 0; i < lengths.size(); ++i) {
            moco_batch_entry e{};
            e.seq = seqs[i];
            e.tokens = (*phase)[i].data();
            e.n_tokens = static_cast<int32_t>((*phase)[i].size());
            e.logits_mode = MOCO_OUTPUT_ALL;
            e.logits = logits[i].data();
            entries.push_back(e);
        }
        std::reverse(entries.begin(), entries.end());  // batch order differs from creation order
        ASSERT_EQ(moco_forward(cache.get(), entries.data(), static_cast<int>(entries.size())), MOCO_OK)
            << moco_last_error();
        const auto& expected = phase == &prompts ? alone_prefill : alone_step;
        for (size_t i = 0; i < lengths.size(); ++i) {
            EXPECT_TRUE(bits_equal(logits[i], expected[i])) << "sequence " << i;
        }
    }
}

TEST_P(FamilyTest, PrefillChunkingIsBitIdentical) {
    TinyModel tm(GetParam(), 7);
    const int out = tm.output_size();
    const std::vector<int32_t> tokens = random_tokens(23, GetParam().vocab, 8);
    Cache one(tm.model());
    const std::vector<float> whole = one.append(one.create(), tokens);

    for (const std::vector<int>& chunks : {std::vector<int>{1, 22}, std::vector<int>{5, 5, 5, 8},
                                           std::vector<int>{3, 1, 7, 12}}) {
        Cache cache(tm.model());
        const int32_t seq = cache.create();
        int done = 0;
        for (int n : chunks) {
            const std::vector<int32_t> chunk(tokens.begin() + done, tokens.begin() + done + n);
            EXPECT_TRUE(bits_equal(cache.append(seq, chunk), rows(whole, out, done, n)))
                << "chunk at " << done;
            done += n;
        }
    }
}

TEST_P(FamilyTest, ThreadCountIsBitIdentical) {
    TinyModel tm(GetParam(), 9);
    const std::vector<int32_t> a = random_tokens(19, GetParam().vocab, 10);
    const std::vector<int32_t> b = random_tokens(3, GetParam().vocab, 11);
    std::vector<std::vector<float>> results;
    for (int threads : {1, 2, 3}) {
        tm.set_threads(threads);
        Cache cache(tm.model());
        const int32_t sa = cache.create();
        const int32_t sb = cache.create();
        std::vector<float> r = cache.append(sa, a);
        const std::vector<float> rb = cache.append(sb, b);
        r.insert(r.end(), rb.begin(), rb.end());
        const std::vector<float> step = cache.append(sa, {b[0]});
        r.insert(r.end(), step.begin(), step.end());
        results.push_back(r);
    }
    EXPECT_TRUE(bits_equal(results[1], results[0])) << "2 threads vs 1";
    EXPECT_TRUE(bits_equal(results[2], results[0])) << "3 threads vs 1";
}

// Padding as an HF attention_mask of 6 ones then 4 zeros: the pads, appended after the text with
// attend_prefix 6, attend only to the text keys (under the sliding window of 5 too) while their
// positions run on; attend_prefix 0 leaves them plain causal tokens.
TEST_P(FamilyTest, AttendPrefixMatchesMaskedReference) {
    TinyModel tm(GetParam(), 16);
    const int H = GetParam().hidden;
    const std::vector<int32_t> text = random_tokens(6, GetParam().vocab, 17);
    const std::vector<int32_t> pads = random_tokens(4, GetParam().vocab, 18);
    std::vector<int32_t> padded = text;
    padded.insert(padded.end(), pads.begin(), pads.end());

    // Prefills the text in one call and appends the pads in the next, the way a sequence must
    // (once per call); returns the hidden states of all ten rows.
    Cache cache(tm.model());
    auto run = [&](int32_t attend_prefix) {
        const int32_t seq = cache.create();
        std::vector<float> hidden;
        cache.append(seq, text, MOCO_OUTPUT_ALL, nullptr, &hidden);
        std::vector<float> pad_hidden(pads.size() * H);
        moco_batch_entry e{};
        e.seq = seq;
        e.tokens = pads.data();
        e.n_tokens = static_cast<int32_t>(pads.size());
        e.hidden_mode = MOCO_OUTPUT_ALL;
        e.hidden = pad_hidden.data();
        e.attend_prefix = attend_prefix;
        EXPECT_EQ(moco_forward(cache.get(), &e, 1), MOCO_OK) << moco_last_error();
        EXPECT_EQ(cache.length(seq), static_cast<int32_t>(padded.size()));
        hidden.insert(hidden.end(), pad_hidden.begin(), pad_hidden.end());
        return hidden;
    };

    const std::vector<float> masked = run(static_cast<int32_t>(text.size()));
    const Reference ref = reference_forward(GetParam(), tm.weights(), padded, nullptr,
                                            static_cast<int>(text.size()));
    EXPECT_LT(relative_error(masked, ref.hidden), 1e-5);
    const Reference causal_ref = reference_forward(GetParam(), tm.weights(), padded);
    EXPECT_GT(relative_error(masked, causal_ref.hidden), 1e-3) << "the mask changed nothing";

    std::vector<float> whole;
    cache.append(cache.create(), padded, MOCO_OUTPUT_ALL, nullptr, &whole);
    EXPECT_TRUE(bits_equal(run(0), whole));
}

INSTANTIATE_TEST_SUITE_P(Families, FamilyTest, ::testing::ValuesIn(all_specs()), spec_name);

TEST(Forward, LastModeGivesTheLastRowOfAll) {
    TinyModel tm(TinySpec{}, 12);
    const int out = tm.output_size();
    const int H = TinySpec{}.hidden;
    const std::vector<int32_t> tokens = random_tokens(6, TinySpec{}.vocab, 13);
    Cache cache(tm.model());
    std::vector<float> hidden_all, hidden_last;
    const std::vector<float> all = cache.append(cache.create(), tokens, MOCO_OUTPUT_ALL, nullptr, &hidden_all);
    const std::vector<float> last = cache.append(cache.create(), tokens, MOCO_OUTPUT_LAST, nullptr, &hidden_last);
    EXPECT_TRUE(bits_equal(last, rows(all, out, 5, 1)));
    EXPECT_TRUE(bits_equal(hidden_last, rows(hidden_all, H, 5, 1)));
}

TEST(Forward, HiddenWithoutLogitsAndLogitsWithoutHidden) {
    TinyModel tm(TinySpec{}, 14);
    const int H = TinySpec{}.hidden;
    const std::vector<int32_t> tokens = random_tokens(5, TinySpec{}.vocab, 15);
    Cache cache(tm.model());
    std::vector<float> hidden_ref;
    const std::vector<float> logits_ref = cache.append(cache.create(), tokens, MOCO_OUTPUT_ALL, nullptr, &hidden_ref);

    std::vector<float> hidden(tokens.size() * H);
    moco_batch_entry e{};
    e.seq = cache.create();
    e.tokens = tokens.data();
    e.n_tokens = static_cast<int32_t>(tokens.size());
    e.hidden_mode = MOCO_OUTPUT_ALL;
    e.hidden = hidden.data();
    ASSERT_EQ(moco_forward(cache.get(), &e, 1), MOCO_OK) << moco_last_error();
    EXPECT_TRUE(bits_equal(hidden, hidden_ref));
    EXPECT_TRUE(bits_equal(cache.append(cache.create(), tokens), logits_ref));
}

}  // namespace
}  // namespace moco::test
